"""Load a scenario from YAML, apply ``--set key=value`` overrides, validate.

Every error is a :class:`ScenarioError` whose message names the file and the YAML
path (``providers[1].pools.gpu:v100: must be >= 0, got -4``) or the line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fedsim.config.schema import SAFE_NAME, SAFE_NAME_HELP, Scenario
from fedsim.config.yaml_safe import load_yaml_text, read_yaml_file
from fedsim.errors import ScenarioError

# Fields that hold file paths: relative paths in a file are relative to that file;
# relative paths given with --set are relative to the working directory.
PATH_FIELDS: tuple[tuple[str, ...], ...] = (
    ("affinity", "gavel_csv"),
    ("affinity", "profile", "path"),
    ("dnn_trace", "path"),
    ("providers", "*", "web", "trace", "path"),  # "*": every item of the list
    ("providers", "*", "hpo", "trace"),
)

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def format_loc(loc: Iterable[Any]) -> str:
    """``('providers', 1, 'pools', 'gpu:v100')`` -> ``providers[1].pools.gpu:v100``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


_BOUNDS = {
    "greater_than_equal": ("ge", ">="),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "<="),
    "less_than": ("lt", "<"),
}
_TYPE_WORDS = {
    "string_type": "must be a string (quote it in YAML)",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
}
MAX_SHOWN_CHARS = 60


def show_value(value: Any) -> str:
    """A bad value as the user wrote it (YAML spelling for null and booleans), shortened."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."


def clean_message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "unknown key (not allowed here; check the spelling)"
    if kind == "missing":
        return "required key is missing"
    if kind == "fedsim_at":
        return str(ctx["message"])
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        bound = ctx.get(key)
        msg = f"must be {op} {f'{bound:g}' if isinstance(bound, float) else bound}"
    elif kind == "literal_error":
        msg = f"must be one of {ctx.get('expected')}"
    elif kind in _TYPE_WORDS:
        msg = _TYPE_WORDS[kind]
    elif kind == "string_pattern_mismatch" and ctx.get("pattern") == SAFE_NAME:
        msg = f"must be {SAFE_NAME_HELP}"
    elif kind == "too_short":
        msg = f"must have at least {ctx.get('min_length')} item(s)"
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if "input" in err and kind not in ("model_type", "dict_type"):
        value = err["input"]
        if not isinstance(value, (dict, list, tuple)):
            msg += f", got {show_value(value)}"
        elif kind in _TYPE_WORDS:
            msg += f", got a {'mapping' if isinstance(value, dict) else 'list'}"
    return msg


def _loc_without_unions(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic inserts a union member's type name (e.g. 'float', 'dict[int,float]') and
    # '[key]' for a bad mapping key into loc
    skip = {"float", "int", "str", "[key]"}
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in skip)))


def _error_path(err: Mapping[str, Any]) -> str:
    loc = _loc_without_unions(tuple(err["loc"]))
    if err.get("type") == "fedsim_at":
        sub = str((err.get("ctx") or {}).get("at", ""))
        base = format_loc(loc) if loc else ""
        if not sub:
            return base or "(top level)"
        if not base:
            return sub
        return base + ("" if sub.startswith("[") else ".") + sub
    return format_loc(loc)


def _union_noise(errors: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drop errors that only echo a more specific one below them: a union's other member
    (``x: must be a number`` beside ``x.1: must be >= 0``), a list too short because its
    items failed."""
    if len(errors) < 2:
        return errors
    paths = [_error_path(e) for e in errors]
    keep = []
    for e, path in zip(errors, paths, strict=True):
        deeper = any(p != path and p.startswith((path + ".", path + "[")) for p in paths)
        # a container's own complaint beside its items' errors says nothing new
        # ("providers: Tuple should have at least 1 item after validation")
        if not (deeper and (e.get("type") in _TYPE_WORDS or e.get("type") == "too_short")):
            keep.append(e)
    return keep or errors


def validation_error_message(exc: ValidationError, source: str) -> str:
    """One line: the first problem with its YAML path, and how many more there are."""
    lines: list[str] = []
    for err in _union_noise(list(exc.errors())):
        line = f"{_error_path(err)}: {clean_message(err)}"
        if line not in lines:
            lines.append(line)
    head = f"{source}: invalid scenario: {lines[0]}"
    if len(lines) == 1:
        return head
    more = len(lines) - 1
    paths = ", ".join(x.split(": ", 1)[0] for x in lines[1:4])
    tail = ", ..." if more > 3 else ""
    return f"{head} (and {more} more problem{'s' if more > 1 else ''}: {paths}{tail})"


def parse_path(key: str) -> list[str | int]:
    """``providers[1].pools.gpu:v100`` -> ``['providers', 1, 'pools', 'gpu:v100']``."""
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(key):
        if m.start() != pos and key[pos : m.start()] != ".":
            raise ScenarioError(f"--set {key}: cannot parse the key path near {key[pos:]!r}")
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or pos != len(key):
        raise ScenarioError(f"--set {key}: cannot parse the key path")
    return parts


def apply_override(data: dict[str, Any], assignment: str) -> list[str | int]:
    """Apply one ``key.path=value`` (value parsed as YAML) in place; returns the path."""
    key, sep, raw = assignment.partition("=")
    if not sep:
        raise ScenarioError(f"--set {assignment}: expected KEY=VALUE, e.g. federation.epoch_s=600")
    path = parse_path(key.strip())
    try:
        value = load_yaml_text(raw, Path("--set")) if raw.strip() else ""
    except ScenarioError as exc:
        raise ScenarioError(f"--set {assignment}: value is not valid YAML ({exc})") from None
    node: Any = data
    for depth, part in enumerate(path[:-1]):
        where = format_loc(path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ScenarioError(f"--set {key}: {where} does not exist (list has {size} items)")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise ScenarioError(f"--set {key}: {format_loc(path[:depth])} is not a mapping")
            node = node.setdefault(part, {})
    last = path[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise ScenarioError(f"--set {key}: {format_loc(path)} does not exist")
        node[last] = value
    else:
        if not isinstance(node, dict):
            raise ScenarioError(f"--set {key}: {format_loc(path[:-1])} is not a mapping")
        node[last] = value
    return path


def _resolve_paths(
    data: dict[str, Any], base: Path, only: set[tuple[str, ...]] | None = None
) -> None:
    for field in PATH_FIELDS:
        nodes: list[Any] = [data]
        for part in field[:-1]:
            if part == "*":
                nodes = [item for n in nodes if isinstance(n, list) for item in n]
            else:
                nodes = [n.get(part) for n in nodes if isinstance(n, dict)]
        for k, node in enumerate(nodes):
            concrete = tuple(str(k) if p == "*" else p for p in field)
            if only is not None and concrete not in only and field not in only:
                continue
            if isinstance(node, dict) and isinstance(node.get(field[-1]), str):
                p = Path(node[field[-1]]).expanduser()
                node[field[-1]] = str(p if p.is_absolute() else (base / p).resolve())


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into a plain dict, with file and line in every error."""
    path = Path(path)
    data = read_yaml_file(path)
    if data is None:
        raise ScenarioError(f"{path}: the file is empty; a scenario is a YAML mapping")
    if not isinstance(data, dict):
        kind = "list" if isinstance(data, list) else type(data).__name__
        raise ScenarioError(f"{path}: a scenario is a YAML mapping of keys, got a {kind}")
    return data


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_error_message(exc, source)) from None


def load_scenario(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, override and validate a scenario file."""
    path = Path(path)
    data = read_yaml(path)
    _resolve_paths(data, path.parent.resolve())
    data = copy.deepcopy(data)
    overridden: set[tuple[str, ...]] = set()
    for assignment in overrides:
        overridden.add(tuple(str(p) for p in apply_override(data, assignment)))
    _resolve_paths(data, Path.cwd(), only=overridden)
    source = str(path) + (" (with --set overrides)" if overridden else "")
    return scenario_from_dict(data, source)


def _plain(value: Any) -> Any:
    """Python-mode dump as YAML-safe data: tuples become lists; integer keys stay integers
    (a JSON-mode dump would turn ``gpu_mix: {1: 0.7}`` into ``{'1': 0.7}``)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as resolved (defaults filled in), as YAML that loads back identically."""
    return yaml.safe_dump(_plain(scenario.model_dump()), sort_keys=False, allow_unicode=True)
