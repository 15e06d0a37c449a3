"""Outputs fedsim may write: new paths, or its own earlier outputs, never anything else.

Every directory fedsim writes carries a marker file (:data:`MARKER`) naming what kind
of output it is and the files fedsim put there. fedsim writes a directory only if it
does not exist, is empty, or carries a marker of the same kind and holds nothing
beyond the files the marker lists; it replaces or deletes only those files. A user's
``thesis.tex`` in the way means a refusal, never a loss.

Writes are atomic (temporary name in the same folder, then ``os.replace``), and the
target is checked up front (writable, enough free space) so that a read-only or full
disk is one line before hours of simulation, not a traceback after them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fedsim.errors import OutputError

MARKER = ".fedsim-output.json"
# what fedsim's outputs held before markers existed: recognised, so upgrading loses nothing
LEGACY_RUN_FILES = frozenset(
    {
        *(f"{t}.parquet" for t in ("events", "jobs", "clearings", "prices", "epochs", "ledger")),
        "scenario.yaml",
        "summary.json",
    }
)
LEGACY_FILES = {
    "run": LEGACY_RUN_FILES,
    "compare": frozenset(
        {"runs", *(f"{s}.{e}" for s in ("compare", "compare_seeds") for e in ("parquet", "csv"))}
    ),
    "coalitions": frozenset(
        {"runs", "coalitions.parquet", "members.parquet", "solution.json"}
    ),
}
SHOWN_FOREIGN = 3
RUN_KEY = re.compile(r"^[0-9a-f]{20}$")  # a run store's entries (sweeps.spec.RunSpec.key)


def describe_os_error(exc: OSError) -> str:
    """``read-only file system``, ``no space left on device``... in a few words."""
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return (exc.strerror or str(exc)).lower()


def read_marker(directory: Path) -> dict[str, Any] | None:
    """The marker of a fedsim output directory, or None."""
    try:
        data = json.loads((directory / MARKER).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    return data


def _is_legacy(directory: Path, kind: str, entries: set[str]) -> bool:
    """An output of ``kind`` written before markers existed, recognised by its exact shape
    (a run's eight files; a sweep's ``runs`` store of run keys beside its tables)."""
    if kind == "runs":
        return all(RUN_KEY.match(e) for e in entries)
    legacy = LEGACY_FILES.get(kind)
    if legacy is None:
        return False
    if kind == "run":
        return entries == legacy
    runs = directory / "runs"
    return (
        entries <= legacy
        and runs.is_dir()
        and any(runs.iterdir())
        and all(RUN_KEY.match(p.name) for p in runs.iterdir())
    )


def _foreign(directory: Path, kind: str) -> list[str] | None:
    """Entries fedsim did not write (None: not a fedsim output of this kind at all)."""
    entries = sorted(p.name for p in directory.iterdir())
    if not entries:
        return []
    marker = read_marker(directory)
    if marker is None:
        return [] if _is_legacy(directory, kind, set(entries)) else None
    if marker.get("kind") != kind:
        return None
    ours = {MARKER, *map(str, marker["files"])}
    return [
        e
        for e in entries
        if e not in ours
        and not e.startswith(".fedsim-tmp-")
        and not (kind == "runs" and RUN_KEY.match(e))
    ]


def _nearest_existing(path: Path) -> Path:
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    return probe


def fresh_dir(parent: Path, prefix: str) -> Path:
    """Create a new folder with a random name in ``parent`` (permissions from the umask,
    unlike ``tempfile.mkdtemp``'s 0700)."""
    while True:
        candidate = parent / f"{prefix}{uuid.uuid4().hex[:12]}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue


def _fresh_file(parent: Path, prefix: str) -> Path:
    """A new empty file with a random name (permissions from the umask)."""
    while True:
        candidate = parent / f"{prefix}{uuid.uuid4().hex[:12]}"
        try:
            with open(candidate, "x"):
                return candidate
        except FileExistsError:
            continue


def check_writable(path: Path, needed_bytes: float = 0.0) -> None:
    """Raise OutputError unless something can be created at ``path`` (whose nearest
    existing ancestor must be a directory we can write to, with ``needed_bytes`` free)."""
    base = _nearest_existing(path if path.is_dir() else path.parent)
    if not base.is_dir():
        raise OutputError(f"{path}: cannot write there: {base} is a file, not a folder")
    try:
        os.rmdir(fresh_dir(base, ".fedsim-probe-"))
    except OSError as exc:
        raise OutputError(f"{path}: cannot write to {base}: {describe_os_error(exc)}") from None
    free = shutil.disk_usage(base).free
    if needed_bytes > free:
        raise OutputError(
            f"{path}: about {needed_bytes / 2**20:,.0f} MiB of results expected but only "
            f"{free / 2**20:,.0f} MiB free on {base}"
        )


def check_target_dir(path: Path, kind: str, needed_bytes: float = 0.0) -> None:
    """Raise OutputError unless fedsim may write a ``kind`` output at directory ``path``."""
    if path.exists():
        if not path.is_dir():
            raise OutputError(f"{path}: exists and is a file; give a directory for the {kind}")
        foreign = _foreign(path, kind)
        if foreign is None:
            shown = sorted(p.name for p in path.iterdir())[:SHOWN_FOREIGN]
            raise OutputError(
                f"{path}: exists and was not written by fedsim (it holds "
                f"{', '.join(shown)}{', ...' if len(shown) == SHOWN_FOREIGN else ''}); "
                f"fedsim writes only into a new or empty folder or over its own {kind} "
                "output: choose another --out"
            )
        if foreign:
            raise OutputError(
                f"{path}: holds files fedsim did not write ({', '.join(foreign[:SHOWN_FOREIGN])}"
                f"{', ...' if len(foreign) > SHOWN_FOREIGN else ''}); move them or choose "
                "another --out"
            )
    check_writable(path, needed_bytes)


def _marker_text(kind: str, files: Iterable[str]) -> str:
    from fedsim import __version__

    body = {"written_by": "fedsim", "fedsim_version": __version__, "kind": kind,
            "files": sorted(set(files))}
    return json.dumps(body, indent=2) + "\n"


def _remove_owned(directory: Path) -> None:
    """Delete the files a marker lists, the marker, then the folder if nothing is left."""
    marker = read_marker(directory)
    names = [str(n) for n in marker["files"]] if marker else sorted(LEGACY_RUN_FILES)
    # (replace_dir only swaps out run folders; a legacy one holds exactly these files)
    for name in (*names, MARKER):
        if "/" in name or name in ("", ".", ".."):
            continue
        (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else appeared meanwhile: leave it
        os.rmdir(directory)


def replace_dir(target: Path, kind: str, write: Callable[[Path], Iterable[str]]) -> Path:
    """Write a ``kind`` output directory atomically with ``write(tmp) -> file names``.

    A reader sees the old output or the new one, never a mix; an interrupted write leaves
    the old one untouched. Refuses (OutputError) when ``target`` holds anything fedsim
    did not write."""
    target = Path(target).absolute()
    check_target_dir(target, kind)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = fresh_dir(target.parent, f".fedsim-tmp-{target.name}-")
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {describe_os_error(exc)}") from None
    try:
        files = list(write(tmp))
        (tmp / MARKER).write_text(_marker_text(kind, files))
        if target.exists() and any(target.iterdir()):
            check_target_dir(target, kind)  # again: it may have changed while we wrote
            old = target.parent / f".fedsim-old-{target.name}-{uuid.uuid4().hex[:8]}"
            os.replace(target, old)
            os.replace(tmp, target)
            _remove_owned(old)
        else:
            if target.exists():
                os.rmdir(target)  # empty: ours to replace
            os.replace(tmp, target)
    except OSError as exc:
        _remove_tmp(tmp)
        raise OutputError(f"{target}: cannot write: {describe_os_error(exc)}") from None
    except BaseException:
        _remove_tmp(tmp)
        raise
    return target


def _remove_tmp(tmp: Path) -> None:
    # a folder this call created under a fresh random name: all of it is ours
    shutil.rmtree(tmp, ignore_errors=True)


class OwnedDir:
    """A folder that collects outputs over time (a sweep): claimed once with a marker;
    files are written atomically and only the ones fedsim wrote are ever replaced."""

    def __init__(self, path: str | Path, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind
        check_target_dir(self.path, kind)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create: {describe_os_error(exc)}") from None
        marker = read_marker(self.path)
        if marker is None:  # new, empty, or written by a fedsim from before markers
            present = {p.name for p in self.path.iterdir()}
            self._files = present & LEGACY_FILES.get(kind, frozenset())
            self._save_marker()
        else:
            self._files = set(map(str, marker["files"]))

    def _save_marker(self) -> None:
        write_text_atomic(self.path / MARKER, _marker_text(self.kind, self._files))

    def claim(self, name: str) -> Path:
        """The path of an output file or sub-folder ``name``, recorded as fedsim's."""
        if "/" in name or name.startswith("."):
            raise ValueError(f"output names are plain file names, got {name!r}")
        target = self.path / name
        if name not in self._files:
            if target.exists():
                raise OutputError(
                    f"{target}: exists and was not written by fedsim; move it or choose "
                    "another --out"
                )
            self._files.add(name)
            self._save_marker()
        return target

    def write_text(self, name: str, text: str) -> Path:
        path = self.claim(name)
        write_text_atomic(path, text)
        return path

    def write_frame(self, name: str, frame: Any) -> Path:
        """A DataFrame as Parquet or CSV (by the name's suffix), atomically."""
        path = self.claim(name)
        write_frame_atomic(frame, path)
        return path


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Create or replace ``path`` atomically: ``write(tmp)`` fills a temporary file in the
    same folder, which is then renamed over ``path``."""
    try:
        tmp = _fresh_file(path.parent, f".fedsim-tmp-{path.name}-")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {describe_os_error(exc)}") from None
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {describe_os_error(exc)}") from None
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file atomically (same-folder temporary, then rename)."""
    write_atomic(Path(path), lambda tmp: tmp.write_text(text))


def write_frame_atomic(frame: Any, path: Path) -> None:
    """Write a DataFrame as Parquet or CSV (by suffix) atomically."""
    path = Path(path)
    if path.suffix == ".csv":
        write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    else:
        write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def check_owned_file(path: Path, is_ours: Callable[[Path], bool], what: str) -> None:
    """Refuse to replace an existing file that fedsim did not write (``is_ours`` decides
    from its contents), and check that the folder is writable."""
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name for the {what}")
    if path.exists() and not is_ours(path):
        raise OutputError(
            f"{path}: exists and is not a {what} written by fedsim; choose another file name"
        )
    check_writable(path)
