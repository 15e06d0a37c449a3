"""Read a YAML scenario as plain data, with limits that make hostile files fail fast.

A scenario is data: ``yaml.SafeLoader`` builds only mappings, lists and scalars. On top
of it this reader refuses, each with one line naming the file and the line:

* files over :data:`MAX_FILE_BYTES` (before parsing anything);
* bytes that are not UTF-8;
* duplicate keys in one mapping (YAML allows them, and the last silently wins);
* documents whose aliases expand to more than :data:`MAX_EXPANDED_NODES` nodes (the
  "billion laughs" bomb: a few lines of anchors that grow exponentially when a
  consumer walks them), counted on the composed node graph before construction;
* nesting deeper than the parser can follow.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from fedsim.errors import ScenarioError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key repeated in the same mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _FLOAT and _EXPONENT.match(str(key_node.value)):
                key_node.tag = _STR  # a key such as Philly's cluster 6214e9 is a name
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # '<<' merges are allowed to be overridden by explicit keys
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # unhashable: the base class reports it with its position
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first.start_mark.line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 (PyYAML) reads ``1e6`` and ``2e-3`` as strings: a float needs a dot there. YAML
# 1.2 and every user read them as numbers, so this loader does too (ints stay ints: the
# int resolver is tried first).
# Keys keep YAML 1.1's reading: names such as Philly's virtual cluster ``6214e9`` stay
# names.
_FLOAT, _STR = "tag:yaml.org,2002:float", "tag:yaml.org,2002:str"
_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
_UniqueKeyLoader.add_implicit_resolver(_FLOAT, _EXPONENT, list("-+0123456789"))


def _expanded_size(root: yaml.Node) -> int:
    """Nodes in the document with every alias expanded, stopping past the limit.

    Aliases are shared node objects, so a memo of subtree sizes by identity makes this
    linear in the distinct nodes however large the expansion is.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            sizes[id(node)] = 1
            continue
        if children_done:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _where(path: Path, mark: Any) -> str:
    return f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)


def load_yaml_text(text: str, path: Path) -> Any:
    """Parse ``text`` (the contents of ``path``) under the limits above."""
    try:
        loader = _UniqueKeyLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            if _expanded_size(root) > MAX_EXPANDED_NODES:
                raise ScenarioError(
                    f"{path}: aliases expand to more than {MAX_EXPANDED_NODES:,} YAML nodes "
                    "(an alias bomb?); a scenario is far smaller"
                )
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{_where(path, mark)}: YAML syntax error: {problem}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: YAML nested too deeply to be a scenario") from None


def read_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file: size, encoding and structure checked first."""
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "file not found"
        raise ScenarioError(f"{path}: scenario {what}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: {size / 2**20:.1f} MiB is too large for a scenario "
                f"(limit {MAX_FILE_BYTES // 2**20} MiB); put large tables in a CSV it names"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save the scenario as UTF-8"
        ) from None
    return load_yaml_text(text, path)
