"""The trust rule for plug-in names: a scenario file is data, never code.

A name in a scenario resolves only to

1. a built-in (shipped with fedsim), or
2. an entry point of the family's group (``fedsim.mechanisms``, ...) of a package the
   user installed, or
3. a ``"module:Class"`` string that the user trusted *outside* the file: on the command
   line (``--trust-code module:Class``) or in the Python API (``trust_code=[...]``).

Anything else is refused before any import. Whatever the source, the object found must
be a class that implements the family's protocol (a dataclass with the required
methods); that is checked before anything is instantiated, so ``os:system`` or
``subprocess:Popen`` are never called even when trusted by mistake. Parameters are
validated against the class's dataclass fields (strict types, finite numbers) before
the constructor runs, and every error names the parameter.
"""

from __future__ import annotations

import dataclasses
import importlib
import typing
from collections import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError, create_model

from fedsim.config.loader import clean_message
from fedsim.errors import PluginError

TRUST_HINT = "--trust-code {name} (Python: trust_code=[{name!r}])"


def normalise_trusted(trusted: Iterable[str]) -> tuple[str, ...]:
    """Sorted, de-duplicated ``module:Class`` strings (each checked for its form)."""
    out = set()
    for t in trusted:
        module, sep, attr = str(t).partition(":")
        if not sep or not module or not attr:
            raise PluginError(f"--trust-code {t!r}: expected module:Class, e.g. my_rules:CostPlus")
        out.add(f"{module.strip()}:{attr.strip()}")
    return tuple(sorted(out))


@dataclass(frozen=True)
class PluginFamily:
    """One kind of plug-in (mechanisms, local schedulers, ...) and where its names resolve."""

    label: str  # "mechanism"
    group: str  # entry-point group, e.g. "fedsim.mechanisms"
    builtin: Mapping[str, str]  # name -> "module:Class" inside fedsim
    methods: tuple[str, ...]  # what a class must define, e.g. ("clear",)
    error: type[PluginError] = PluginError

    # ----------------------------------------------------------------- names
    def entry_point_specs(self) -> dict[str, str]:
        return {ep.name: ep.value for ep in entry_points(group=self.group)}

    def available(self) -> dict[str, str]:
        """Every name a scenario may use, mapped to its ``"module:Class"`` target."""
        specs = dict(self.entry_point_specs())
        specs.update(self.builtin)  # a plug-in cannot shadow a built-in
        return dict(sorted(specs.items()))

    def resolve(self, name: str, trusted: Iterable[str] = (), where: str | None = None) -> type:
        """The class a name stands for, under the trust rule (see the module docstring).

        ``where`` is the YAML path of the plug-in's spec, named in errors."""
        subject = _at(where, "name", f"{self.label} {name!r}")
        specs = self.available()
        if name in specs:
            return self._load(specs[name], subject)
        if ":" in name:
            module, _, attr = name.partition(":")
            if f"{module.strip()}:{attr.strip()}" not in set(normalise_trusted(trusted)):
                raise self.error(
                    f"{subject}: {name!r} is a 'module:Class' name, which runs code from "
                    f"outside fedsim, so a scenario file cannot choose it by itself; if you "
                    f"trust it, pass {TRUST_HINT.format(name=name)}, or install it as an "
                    f"entry point of {self.group!r}"
                )
            return self._load(name, subject)
        raise self.error(
            f"{subject}: unknown {self.label} {name!r}; registered: {', '.join(specs)} "
            f"(plug-ins register the entry point group {self.group!r})"
        )

    def _load(self, target: str, subject: str) -> type:
        module_name, _, attr = target.partition(":")
        module_name, attr = module_name.strip(), attr.strip()
        if not attr or not module_name:
            raise self.error(f"{subject}: expected 'module:Class', got {target!r}")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise self.error(f"{subject}: cannot import {module_name!r}: {exc}") from None
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                raise self.error(f"{subject}: module {module_name!r} has no {attr!r}")
        self.check_class(obj, subject, target)
        return obj

    def check_class(self, obj: Any, subject: str, target: str) -> None:
        """Refuse anything that is not a dataclass implementing the protocol."""
        if not isinstance(obj, type):
            raise self.error(
                f"{subject}: {target!r} is a {type(obj).__name__}, not a {self.label} class"
            )
        missing = [m for m in self.methods if not callable(getattr(obj, m, None))]
        if missing or not dataclasses.is_dataclass(obj):
            what = f"no {', '.join(missing)} method" if missing else "not a dataclass"
            raise self.error(
                f"{subject}: {target!r} does not implement the {self.label} protocol "
                f"({what}); a {self.label} is a frozen dataclass with "
                f"{', '.join(m + '()' for m in self.methods)}"
            )

    # ------------------------------------------------------------ instances
    def make(
        self,
        name: str,
        params: Mapping[str, Any] | None = None,
        trusted: Iterable[str] = (),
        where: str | None = None,
    ) -> Any:
        """An instance from a name and its parameters, validated field by field.

        ``where`` is the YAML path of the plug-in's spec (``federation.mechanism``)."""
        cls = self.resolve(name, trusted, where)
        params_at = _at(where, "params", f"{self.label} {name!r} parameter")
        kwargs = validate_params(cls, dict(params or {}), params_at, self.error)
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            subject = _at(where, "params", f"{self.label} {name!r}")
            raise self.error(f"{subject}: invalid parameters for {name!r}: {exc}") from None

    def parameters(self, name: str) -> list[dict[str, Any]]:
        """The plug-in's parameters: name, type and default (``None``: required)."""
        cls = self.resolve(name)
        hints = typing.get_type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                default: Any = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = None
            kind = hints.get(f.name, f.type)
            out.append({"name": f.name, "type": getattr(kind, "__name__", str(kind)),
                        "default": default})  # fmt: skip
        return out

    def describe(self, name: str) -> str:
        """One line: the class's ``summary`` or the first line of its docstring."""
        cls = self.resolve(name)
        summary = getattr(cls, "summary", None)
        if isinstance(summary, str) and summary:
            return summary
        doc = (cls.__doc__ or "").strip().splitlines()
        return doc[0] if doc else ""


_CONTAINERS = (tuple, list, dict, set, frozenset, abc.Sequence, abc.Mapping)


def _at(where: str | None, part: str, default: str) -> str:
    """Where an error is: a YAML path (``federation.mechanism.name``), a command-line
    option as given (``--mechanisms``), or the plug-in itself."""
    if where is None:
        return default
    return where if where.startswith("--") else f"{where}.{part}"


@lru_cache(maxsize=256)
def _params_model(cls: type) -> type:
    """A strict pydantic model of ``cls``'s init fields (types only; the class's own
    ``__post_init__`` still checks values)."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default: Any = ...
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        hint = hints.get(f.name, Any)
        if typing.get_origin(hint) in _CONTAINERS:
            hint = Annotated[hint, Field(strict=False)]  # YAML lists for tuples
        fields[f.name] = (hint, default)
    config = ConfigDict(
        strict=True, allow_inf_nan=False, extra="forbid", arbitrary_types_allowed=True
    )
    return create_model(f"{cls.__name__}Params", __config__=config, **fields)


def validate_params(
    cls: type, params: dict[str, Any], params_at: str, error: type[PluginError]
) -> dict[str, Any]:
    """Check ``params`` against ``cls``'s fields: unknown names, types, finiteness.

    ``params_at`` starts every message (``federation.mechanism.params``)."""
    allowed = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise error(
            f"{params_at}: unknown parameter(s) {', '.join(map(str, unknown))}; "
            f"allowed: {', '.join(sorted(allowed)) or '(none)'}"
        )
    try:
        model = _params_model(cls)
    except Exception as exc:  # an annotation pydantic cannot build a validator for
        raise error(
            f"{params_at}: cannot read the parameter types of {cls.__name__}: {exc}"
        ) from None
    try:
        checked = model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "[key]")
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        sep = " " if params_at.endswith("parameter") or params_at.startswith("--") else "."
        raise error(f"{params_at}{sep}{where}: {clean_message(first)}{more}") from None
    return {k: getattr(checked, k) for k in params}
