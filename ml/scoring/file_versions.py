"""Published files as stable names that point at immutable versions, so a reader's query sees
the files as they were when it began, whatever a night republishes meanwhile.

Renaming a whole new file over the old one is not enough: DuckDB's Parquet reader opens a file
by its path again for each scan it starts (after reading the footer, and per thread), so a
file replaced in between is read with the old file's footer and the new file's bytes. A CI run
saw it as "don't know what type:" on the At-risk page while a night republished a date.

So each publication writes a new version that is never changed afterwards, and switches the
stable name to it with one atomic rename of a relative symbolic link:

    <root>/<table>/model=<name>/score_date=<day>/<table>.parquet  -> the current version
    <root>/.versions/<table>/model=<name>/score_date=<day>/<uuid>.parquet

Readers that must not fail pin their files first (`pinned`): they query the versions the
names point at, which stay in place however often the names move. A version the name no
longer points at is deleted by a later publication of the same name, once it has been out of
use for SUPERSEDED_KEPT_SECONDS: long enough for any query, and for an analyst's session on
the SQL views, which list the versions of their night. A plain file at the name (published
before versions existed, or copied with its links followed: copy with links kept, `cp -R` or
`shutil.copytree(..., symlinks=True)`) is read as it is, with the old exposure to a rename
under a running query, until its next publication replaces it by a link.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path

VERSIONS = ".versions"
SUPERSEDED_KEPT_SECONDS = 24 * 3600


def swap_in(root: Path, target: Path, whole_file: Path) -> Path:
    """Make `whole_file` (written completely, on root's file system) the version `target`
    names, with one atomic rename; readers see the previous version or this one.

    Returns:
        The new version's path (`target` resolves to it).
    """
    with open(whole_file, "rb") as handle:  # on disk before any name points at it
        os.fsync(handle.fileno())
    folder = version_folder(root, target)
    folder.mkdir(parents=True, exist_ok=True)
    version = folder / f"{uuid.uuid4().hex}{target.suffix}"
    os.replace(whole_file, version)
    previous = _version_of(target)
    remove_leftovers(target.parent, ".*.link")
    link = temporary_path(target.parent, ".link", hidden=True)
    try:
        os.symlink(os.path.relpath(version, target.parent), link)
        os.replace(link, target)  # the atomic switch
    except OSError:
        link.unlink(missing_ok=True)
        version.unlink(missing_ok=True)
        raise
    if previous is not None:
        _mark_out_of_use(previous)
    _delete_out_of_use(folder, current=version)
    return version


def retire(target: Path, kept_at: Path) -> None:
    """Take `target` away from readers, keeping its content at `kept_at` (a hard link: no
    copy). Queries that pinned its version go on reading it."""
    version = target.resolve()
    kept_at.parent.mkdir(parents=True, exist_ok=True)
    os.link(version, kept_at)
    target.unlink()
    if version != target:
        _mark_out_of_use(version)


def temporary_path(folder: Path, suffix: str, hidden: bool = False) -> Path:
    """A path to write a file aside at, its writer's pid in the name: `remove_leftovers` then
    knows a killed writer's file from a live one's."""
    return folder / f"{'.' if hidden else ''}{os.getpid()}-{uuid.uuid4().hex}{suffix}"


# Temporary files without a writer's pid (earlier versions) count as leftovers after this long.
STALE_TEMPORARY_SECONDS = 3600


def remove_leftovers(folder: Path, pattern: str) -> None:
    """Delete the folder's temporary files (`pattern`) whose writer's process is gone (a
    live writer, this one or another model's, keeps its file)."""
    for leftover in folder.glob(pattern):
        pid, _, rest = leftover.name.lstrip(".").partition("-")
        with contextlib.suppress(FileNotFoundError):
            if rest and pid.isdigit():
                orphan = not _writer_alive(int(pid))
            else:
                orphan = leftover.lstat().st_mtime < time.time() - STALE_TEMPORARY_SECONDS
            if orphan:
                leftover.unlink()


def _writer_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def pinned(path: Path) -> str:
    """The version a stable name points at now: give this path to a query, not the name."""
    return str(path.resolve())


def version_folder(root: Path, target: Path) -> Path:
    return root / VERSIONS / target.parent.relative_to(root)


def _version_of(target: Path) -> Path | None:
    """The version file `target` points at, or None (nothing there, or a plain file)."""
    if not target.is_symlink():
        return None
    return target.resolve()


def _mark_out_of_use(version: Path) -> None:
    # the modification time records when the name left it; its content never changes
    with contextlib.suppress(FileNotFoundError):
        os.utime(version)


def _delete_out_of_use(folder: Path, current: Path) -> None:
    """Delete the folder's versions out of use for longer than SUPERSEDED_KEPT_SECONDS (a
    publication killed before its switch leaves one too: it ages out the same way)."""
    cutoff = time.time() - SUPERSEDED_KEPT_SECONDS
    for version in folder.iterdir():
        with contextlib.suppress(FileNotFoundError):
            if version != current and version.stat().st_mtime < cutoff:
                version.unlink()
