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

from fedsim.config.schema import Scenario
from fedsim.errors import ScenarioError

# Fields that hold file paths: relative paths in a file are relative to that file;
# relative paths given with --set are relative to the working directory.
PATH_FIELDS: tuple[tuple[str, ...], ...] = (
    ("affinity", "gavel_csv"),
    ("affinity", "profile", "path"),
    ("dnn_trace", "path"),
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


def _clean_message(err: Mapping[str, Any]) -> str:
    msg = str(err["msg"])
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind in _BOUNDS:
        key, op = _BOUNDS[kind]
        msg = f"must be {op} {ctx.get(key)}"
    elif kind == "literal_error":
        msg = f"must be one of {ctx.get('expected')}"
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if err.get("type") == "extra_forbidden":
        return "unknown key (not allowed here; check the spelling)"
    if err.get("type") == "missing":
        return "required key is missing"
    if "input" in err and err.get("type") not in ("model_type", "dict_type"):
        value = err["input"]
        if not isinstance(value, (dict, list)):
            msg += f", got {value!r}"
    return msg


def _loc_without_unions(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # pydantic inserts the union member's type name (e.g. 'float', 'dict[int,float]') into loc
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {"float", "int"})))


def validation_error_message(exc: ValidationError, source: str) -> str:
    lines = []
    seen: set[str] = set()
    for err in exc.errors():
        path = format_loc(_loc_without_unions(tuple(err["loc"])))
        line = f"{path}: {_clean_message(err)}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    head = f"{source}: invalid scenario"
    if len(lines) == 1:
        return f"{head}: {lines[0]}"
    return head + " (" + str(len(lines)) + " problems):\n  " + "\n  ".join(lines)


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
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ScenarioError(f"--set {assignment}: value is not valid YAML: {exc}") from None
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
        if only is not None and field not in only:
            continue
        node: Any = data
        for part in field[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(field[-1]), str):
            p = Path(node[field[-1]]).expanduser()
            node[field[-1]] = str(p if p.is_absolute() else (base / p).resolve())


def read_yaml(path: str | Path) -> dict[str, Any]:
    """Read a scenario file into a plain dict, with file and line in every error."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: scenario file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{where}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a YAML mapping, got {type(data).__name__}")
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
    _resolve_paths(data, Path.cwd(), only=overridden & set(PATH_FIELDS))
    source = str(path) + (" (with --set overrides)" if overridden else "")
    return scenario_from_dict(data, source)


def scenario_to_yaml(scenario: Scenario) -> str:
    """The scenario as resolved (defaults filled in), as YAML that loads back identically."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False)
