"""How a complete temporary replaces an output (elm/io.py writes them), so that a run killed at any moment loses
nothing, and how the next run completes, puts back or removes what a killed run left.

- A temporary (``.<name>.<random>.tmp``, beside its output) is locked (flock) by the process writing it for as long
  as that process lives: the next write of the same output removes the temporaries of killed runs, never those of
  a run still writing.
- A directory trades places with its replacement in one step where the system allows (Linux renameat2 with
  RENAME_EXCHANGE), so its path is never missing; elsewhere the old one is first renamed ``.<name>.old``, and a
  run that finds ``<name>`` missing beside it puts it back, never deletes it.
- A set of several outputs is moved into place only once a journal in the current directory, the project root
  where DVC runs every stage (``.elm-outputs.<random>.journal``), lists its temporaries: the next run finishes
  moving them (:func:`recover`), so a kill leaves the whole old set or, once any run has started, the whole new one.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import glob
import json
import logging
import os
import secrets
import shutil
import sys
import tempfile
from pathlib import Path

from elm.errors import ElmError

logger = logging.getLogger(__name__)

JOURNAL_TEMPORARY = Path("elm-outputs.journal")  # a journal is written as .elm-outputs.journal.<random>.tmp first
JOURNALS = ".elm-outputs.*.journal"
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def recover() -> None:
    """Finish moving into place the sets that killed runs had begun to move (their journals in the current
    directory), so the next run finds each set whole. A journal whose run is still alive (it holds the lock) is
    left to it."""
    for journal in sorted(Path().glob(JOURNALS)):
        with contextlib.suppress(FileNotFoundError), _unheld(journal) as fd:
            if fd is None:
                continue
            try:
                swaps = json.loads(journal.read_text(encoding="utf-8"))
            except ValueError as err:
                raise ElmError(f"{journal}: not a readable journal ({err}); delete it and rerun the stage") from None
            for target, tmp, inode in swaps:
                try:
                    swap_in(Path(target), Path(tmp), inode)
                except OSError as err:
                    raise ElmError(f"cannot finish replacing {target} as a killed run had begun to ({journal}): "
                                   f"{err.strerror or err}; check the folder's permissions and free space") from err
            journal.unlink()
            logger.warning(f"completed {', '.join(target for target, _, _ in swaps)}: a killed run had begun to "
                           f"replace them ({journal})")
    remove_abandoned(JOURNAL_TEMPORARY)


def write_journal(swaps: list[tuple[Path, Path, int]]) -> tuple[Path, int]:
    """The journal of a set about to be moved into place, and the fd that locks it while this run lives."""
    tmp, fd = new_temporary(JOURNAL_TEMPORARY, directory=False)
    os.write(fd, json.dumps([[str(target), str(tmp), inode] for target, tmp, inode in swaps]).encode())
    journal = Path(f".elm-outputs.{secrets.token_hex(4)}.journal")
    os.rename(tmp, journal)
    return journal, fd


def swap_in(target: Path, tmp: Path, inode: int) -> None:
    """Put the complete temporary ``tmp`` (inode ``inode``) at ``target`` and remove what it replaced. Run again
    after a kill at any point, it finishes the same swap (a recorded inode tells the new content from the old)."""
    backup = _set_aside_name(target)
    if _inode(tmp) == inode:  # not moved yet
        both_directories = tmp.is_dir() and target.is_dir()
        if not (both_directories and _exchange(tmp, target)):
            if both_directories:  # no exchange here: the old directory waits aside until the new one is in
                remove(backup)
                os.rename(target, backup)
            os.replace(tmp, target)
    remove(tmp)  # the old directory an exchange left there (nothing, once moved)
    if os.path.lexists(target):
        remove(backup)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE), so that neither is ever missing; False where
    the C library or the filesystem cannot (the caller then renames twice)."""
    renameat2 = getattr(_LIBC, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def restore_set_aside(target: Path) -> None:
    """A directory swap killed between its two renames left ``target`` missing and the old directory as
    ``.<name>.old``: put it back. Once ``target`` exists, that old copy is outdated: remove it."""
    backup = _set_aside_name(target)
    if not os.path.lexists(backup):
        return
    if os.path.lexists(target):
        remove(backup)
        return
    os.rename(backup, target)
    logger.warning(f"{target}: restored from {backup}, where a run killed while replacing it had left it")


def _set_aside_name(target: Path) -> Path:
    """Where the old directory waits while a new one replaces it by two renames."""
    return target.with_name(f".{target.name}.old")


def new_temporary(target: Path, directory: bool) -> tuple[Path, int]:
    """A new temporary beside ``target``, and the fd that locks it so that no other run removes it as abandoned."""
    while True:
        if directory:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
            try:
                fd = os.open(tmp, os.O_RDONLY)
            except FileNotFoundError:  # removed by another run in the instant before it was opened
                continue
        else:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            tmp = Path(name)
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while another run that found it unlocked removes it
        if _inode(tmp) == os.fstat(fd).st_ino:
            return tmp, fd
        os.close(fd)  # removed in the instant before the lock: make another


def remove_abandoned(target: Path) -> None:
    """Remove the temporaries of ``target`` that no process holds: those of killed runs."""
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        with contextlib.suppress(OSError), _unheld(leftover) as fd:
            if fd is not None:
                remove(leftover)
                logger.info(f"{target}: removed {leftover}, left by a killed run")


@contextlib.contextmanager
def _unheld(path: Path):
    """An fd holding ``path``'s lock, or None when another live process holds it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held_elsewhere = False
        except BlockingIOError:
            held_elsewhere = True
        yield None if held_elsewhere else fd
    finally:
        os.close(fd)


def _inode(path: Path) -> int | None:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return None


def remove(path: Path) -> None:
    """Remove a file or a directory tree (of a symlink, the link only); nothing if it is gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
