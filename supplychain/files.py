"""Files on disk: reading only what is a bounded regular file, writing only what was asked.

Reading: a table is read only if it is a regular file (not a FIFO, a device, a folder or
a broken link) no larger than :data:`MAX_TABLE_BYTES`, so that a hostile path can neither
block a command nor exhaust memory.

Writing: every file is written to a temporary file beside its target and moved into
place, so that a command killed mid-write never leaves a damaged target. Temporary files
carry the writer's process id; one left behind by a process that no longer runs (killed
with SIGKILL, or a power cut) is removed the next time the same target is written, and a
command stopped by SIGTERM, SIGHUP or Ctrl-C removes its own (:func:`cleanup_on_signals`).
A target is never inside the input being read, its folder must exist, and every OS error
is one :class:`~supplychain.errors.WriteError` naming the path.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write(folder / "a.txt", lambda path: path.write_text("hello"))
>>> (folder / "a.txt").read_text(), sorted(p.name for p in folder.iterdir())
('hello', ['a.txt'])
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import stat
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

from supplychain.errors import OutputExistsError, UnreadableFileError, WriteError

__all__ = [
    "MAX_TABLE_BYTES",
    "read_regular_file",
    "refuse_inside",
    "check_target",
    "atomic_write",
    "staging_folder",
    "safe_file_name",
    "cleanup_on_signals",
]

MAX_TABLE_BYTES = 2 * 2**30
"""The largest table file read, in bytes (2 GiB: a graph of 10^6 nodes and 5 x 10^6 edges
takes about 300 MB)."""

_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.supplychain-(?P<pid>\d+)-[^.]+\.tmp$")
_STAGING = re.compile(r"^\.supplychain-(?P<pid>\d+)-[^.]+$")


def read_regular_file(path: Path, limit: int = MAX_TABLE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    Raises
    ------
    UnreadableFileError
        If ``path`` is a broken symbolic link, not a regular file, or larger than
        ``limit``; the message says which, without the path.
    OSError
        If it cannot be read (permissions ...).
    """
    try:
        status = os.stat(path)  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        if path.is_symlink():
            raise UnreadableFileError(
                f"a symbolic link to {os.readlink(path)!s}, which does not exist"
            ) from None
        raise
    if not stat.S_ISREG(status.st_mode):
        what = (
            "a folder"
            if stat.S_ISDIR(status.st_mode)
            else "a named pipe (FIFO)"
            if stat.S_ISFIFO(status.st_mode)
            else "a device"
            if stat.S_ISCHR(status.st_mode) or stat.S_ISBLK(status.st_mode)
            else "a socket"
        )
        raise UnreadableFileError(
            f"not a regular file but {what}: a table is read only from a file"
        )
    if status.st_size > limit:
        raise UnreadableFileError(_too_large(status.st_size, limit))
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)  # the file may grow while it is read
    if len(data) > limit:
        raise UnreadableFileError(_too_large(len(data), limit))
    return data


def _too_large(size: int, limit: int) -> str:
    return (
        f"{size / 2**30:.1f} GiB, more than the {limit / 2**30:.0f} GiB a table may be"
        f" ({limit:,} bytes)"
    )


def refuse_inside(target: Path, inputs: tuple[Path, ...]) -> None:
    """Refuse a ``target`` that is one of ``inputs`` or lies inside an input folder.

    Raises
    ------
    OutputExistsError
        Naming the input.
    """
    resolved = target.resolve()
    for source in inputs:
        source = Path(source).resolve()
        if resolved == source or (source.is_dir() and source in resolved.parents):
            raise OutputExistsError(
                f"{target}: refusing to write onto the graph being read ({source}) or into"
                " it; write elsewhere"
            )


def check_target(
    target: Path, overwrite: bool, inputs: tuple[Path, ...] = (), folder: bool = False
) -> None:
    """Refuse to write ``target`` where it would replace what it should not.

    ``folder``: the target is a folder of tables (it may exist; its own tables are
    checked by the writer). Otherwise it is a file: an existing one is replaced only with
    ``overwrite``, and a folder is never replaced. The folder that holds ``target`` must
    exist (nothing is created beyond what was asked).

    Raises
    ------
    OutputExistsError, WriteError
    """
    refuse_inside(target, inputs)
    if folder:
        if target.exists() and not target.is_dir():
            raise OutputExistsError(f"{target} exists and is not a folder")
    elif target.is_dir():
        raise OutputExistsError(f"{target} is a folder; name a file to write")
    elif target.exists() and not target.is_file():
        raise OutputExistsError(
            f"{target} is not a regular file (a device or a pipe); name a file to write"
        )
    elif target.exists() and not overwrite:
        raise OutputExistsError(f"{target} exists; choose another name or allow overwriting")
    parent = target.absolute().parent
    if not parent.is_dir():
        raise WriteError(f"cannot write {target}: the folder {parent} does not exist")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _remove_stale(folder: Path, name: str | None) -> None:
    """Remove temporaries of ours left in ``folder`` by processes that no longer run:
    temporary files of the target ``name`` (when given), and staging folders."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match and name is not None and match.group("name") == name:
            if not _alive(int(match.group("pid"))):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            continue
        match = _STAGING.match(entry.name)
        if match and entry.is_dir(follow_symlinks=False) and not _alive(int(match["pid"])):
            shutil.rmtree(entry.path, ignore_errors=True)


def _umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_error(target: Path, error: OSError) -> WriteError:
    reason = error.strerror or str(error)
    return WriteError(f"cannot write {target}: {reason}")


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Write through ``write(temporary)`` beside ``target``, then move it into place.

    The file gets the permissions a newly created file would (``mkstemp`` makes it
    private to its owner, which would stop anyone else opening a page or an export).

    Raises
    ------
    WriteError
        On any OS error (read-only folder, full disk, a folder in the way ...); the
        target is then unchanged and the temporary file removed.
    """
    target = Path(target)
    _remove_stale(target.absolute().parent, target.name)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.supplychain-{os.getpid()}-",
            suffix=".tmp",
            dir=target.absolute().parent,
        )
    except OSError as error:
        raise _write_error(target, error) from None
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _write_error(target, error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def staging_folder(folder: Path) -> Iterator[Path]:
    """A temporary folder inside ``folder`` to write several files in before moving them
    into place; removed on the way out, whatever happens.

    Raises
    ------
    WriteError
        If it cannot be made.
    """
    _remove_stale(folder, None)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".supplychain-{os.getpid()}-", dir=folder))
    except OSError as error:
        raise _write_error(folder, error) from None
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


_UNSAFE_NAME = re.compile(r"[^\w.,+=@-]+")


def safe_file_name(name: str, suffix: str, fallback: str = "graph") -> str:
    """A file name made from ``name`` (which may come from data): no folder, no control or
    invisible character, no leading dot, at most 100 characters, then ``suffix``.

    >>> safe_file_name("../../etc/passwd", ".html")
    'etc_passwd.html'
    >>> safe_file_name("/tmp/x\\x00y", ".html"), safe_file_name("..", ".html")
    ('tmp_x_y.html', 'graph.html')
    """
    text = "".join(
        char if unicodedata.category(char)[0] not in "CZ" or char == " " else "_"
        for char in unicodedata.normalize("NFKC", str(name))
    )
    text = _UNSAFE_NAME.sub("_", text).strip("._-")[:100].strip("._-")
    return (text or fallback) + suffix


def cleanup_on_signals() -> Callable[[], None]:
    """Turn SIGTERM and SIGHUP into :class:`KeyboardInterrupt`, so that a command stopped
    by them unwinds and removes its temporary files; return a function that puts the
    previous handlers back. Does nothing outside the main thread."""

    def interrupt(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    previous = {}
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None:
            continue
        try:
            previous[number] = signal.signal(number, interrupt)
        except ValueError:  # not the main thread
            return lambda: None

    def restore() -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)

    return restore
