"""Getting bytes in and out: inputs (files, compressed streams, standard input as it
arrives) and outputs written whole or not at all.

:class:`OutputFile` writes under a hidden temporary name beside the target and renames it when
complete (:func:`write_atomically` for data in hand, as :meth:`tieng.Model.save` uses it), so
an interrupted or failed run never leaves a truncated file under the final name.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import os
import select
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "FileError",
    "OutputFile",
    "PipeReader",
    "check_encoding",
    "compression_of",
    "file_stamp",
    "is_regular_file",
    "line_end_after",
    "open_input",
    "partial_path",
    "resolved",
    "spill_directory",
    "stdin_reader",
    "strip_compression",
    "write_all",
    "write_atomically",
]

OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
# What an output file is compressed with, by its name's suffix: a stream that compresses
# into a file object opened for writing bytes.
# (gzip records a file name in its header: the output's, not the temporary file's)
COMPRESSORS: dict[str, Callable[[BinaryIO, str], Any]] = {
    ".gz": lambda f, name: gzip.GzipFile(name, "wb", 6, fileobj=f),
    ".bz2": lambda f, name: bz2.BZ2File(f, "wb", compresslevel=9),
    ".xz": lambda f, name: lzma.LZMAFile(f, "wb", preset=3),
}
try:  # Zstandard, where the zstandard module is installed
    import zstandard as _zstd
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:

    class _Zstd(io.BufferedReader):
        """A .zst file read through a buffer: zstandard's reader has no readline (which
        reading whole lines needs) and no peek.  Its own type, so that it is never taken for a
        plain file that workers may read themselves."""

    def _open_zst(path: str | os.PathLike[str], mode: str = "rb") -> BinaryIO:
        return _Zstd(_zstd.open(path, mode), 1 << 16)

    OPENERS[".zst"] = _open_zst
    COMPRESSORS[".zst"] = lambda f, name: _zstd.ZstdCompressor(level=3).stream_writer(
        f, closefd=False
    )
_NEEDS_MODULE = {".zst": "zstandard (pip install '.[zstd]')"}  # suffixes read with a module


def compression_of(path: str | os.PathLike[str] | None) -> str | None:
    """The compression suffix of an output's name (``".gz"``, ...), or ``None``."""
    if path is None:
        return None
    suffix = Path(path).suffix.lower()
    if suffix in COMPRESSORS:
        return suffix
    if suffix in _NEEDS_MODULE:  # not silently written plain under a compressed name
        raise FileError(f"{path}: writing {suffix} needs the module {_NEEDS_MODULE[suffix]}")
    return None


class FileError(Exception):
    """An input or output that cannot be used: missing, unreadable, unwritable, changed
    while it was read; the message names it and says why."""


def open_input(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a file for reading bytes, decompressing ``.gz``, ``.bz2`` and ``.xz``; "-" is stdin."""
    if str(path) == "-":
        if sys.stdin is None:  # started with standard input closed
            raise FileError("<stdin>: standard input is closed; name input files instead")
        return sys.stdin.buffer
    suffix = Path(path).suffix.lower()
    if suffix in _NEEDS_MODULE and suffix not in OPENERS:
        raise FileError(f"{path}: reading {suffix} needs the module {_NEEDS_MODULE[suffix]}")
    opener = OPENERS.get(suffix, open)
    try:
        f = opener(path, "rb")
    except FileNotFoundError:
        raise FileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileError(f"{path}: is a directory") from None
    except OSError as e:
        raise FileError(f"{path}: cannot open ({e.strerror})") from None
    try:
        if f.seekable():
            head = f.read(4)
            f.seek(0)
            check_encoding(head, str(path))
        elif hasattr(f, "peek"):  # (a .zst file)
            check_encoding(f.peek(4)[:4], str(path))
    except FileError:
        f.close()
        raise
    except (OSError, EOFError, lzma.LZMAError):  # a damaged file: reported when it is read
        with contextlib.suppress(OSError, EOFError, lzma.LZMAError):
            f.seek(0)
    return f


_WIDE_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def check_encoding(head: bytes, label: str) -> None:
    """A :class:`FileError` when ``head``, the first bytes of an input, is the byte-order
    mark of UTF-16 or UTF-32 (a Windows "Unicode" save): tieng reads UTF-8.

    >>> check_encoding("Hà Nội".encode("utf-16"), "a.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tieng.files.FileError: a.txt: the text is UTF-16 ...: iconv -f UTF-16 ... a.txt > a.utf8.txt
    """
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            raise FileError(
                f"{label}: the text is {name} (it starts with a {name} byte-order mark), and "
                f"tieng reads UTF-8; convert it first: iconv -f {name} -t UTF-8"
                + (
                    f" {label} > {Path(label).with_name(Path(label).stem + '.utf8')}"
                    f"{Path(label).suffix}"
                    if not label.startswith("<")
                    else " < input > input.utf8.txt"
                )
            )


def strip_compression(name: str) -> str:
    """``name`` without its compression suffix (``a.txt.gz`` -> ``a.txt``)."""
    p = Path(name)
    return str(p.with_suffix("")) if p.suffix.lower() in OPENERS else name


_ARRIVAL_GAP = 0.005  # s: a pause this long in a pipe's input ends a chunk ...
_CHUNK_WAIT = 0.2  # s: ... and so does this much time after its first whole line


def line_end_after(data: bytes | bytearray, final: bool, cr: bool) -> int:
    r"""Where the last whole line of ``data`` ends (0 when it has none): after its last
    ``\n``, or with ``cr`` (text input) after a lone ``\r`` too; a ``\r`` that ends ``data``
    counts only when ``final`` (the input ends there), as a ``\n`` might follow it.

    >>> line_end_after(b"a\nb\rc", False, True), line_end_after(b"a\nb\r", False, True)
    (4, 2)
    """
    n = data.rfind(b"\n") + 1
    if not cr:
        return n
    r = data.rfind(b"\r") + 1
    if r == len(data) and not final:  # "\r" last: perhaps half of a "\r\n"
        r = data.rfind(b"\r", 0, len(data) - 1) + 1
    return max(n, r)


class PipeReader:
    """Standard input when it is a pipe or a terminal, read in chunks of whole lines as the
    lines arrive, straight from the file descriptor.

    A chunk takes what keeps arriving until a pause: one read gives at most what the pipe holds
    (64 kB on Linux), and `zcat big.gz | tieng segment` would otherwise be cut into many small
    chunks, each with its own overhead; waiting for a full chunk would hold back the output of
    a pipe that trickles (`tail -f log | tieng segment`, a person typing).

    ``os.read`` rather than ``sys.stdin.buffer``: a thread blocked in a read of a buffered
    stream holds that stream's lock, and if the run stops meanwhile (Ctrl-C, a closed output)
    Python cannot shut down, as it needs the lock to close standard input.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.held = bytearray()  # read, not handed out yet
        self.ended = False
        try:
            select.select([fd], [], [], 0)
            self.can_wait = True
        except (OSError, ValueError):  # Windows pipes: no select; one read at a time
            self.can_wait = False

    def _arrives(self, timeout: float) -> bool:
        return self.can_wait and bool(select.select([self.fd], [], [], max(timeout, 0))[0])

    def _read(self, size: int) -> None:
        data = os.read(self.fd, max(size, 1 << 16))
        if data:
            self.held += data
        else:
            self.ended = True

    def peek(self, size: int) -> bytes:
        """What has arrived, up to ``size`` bytes (waiting for some), without consuming it."""
        if not self.held and not self.ended:
            self._read(size)
        return bytes(self.held[:size])

    def chunk(
        self, size: int, max_line: int | None = None, cr: bool = False
    ) -> tuple[bytes | None, bool]:
        """Whole lines, about ``size`` bytes at most, and whether the input ended with them.

        Waits for a whole line (or the end), then takes what keeps arriving until a short
        pause, ``size`` bytes, or a little time; ``(b"", True)`` once the input has ended;
        ``(None, False)`` when more than ``max_line`` bytes came with no line end.  With
        ``cr`` (text), a lone ``\r`` ends a line too.
        """
        deadline = None
        whole, looked = False, 0  # a line end is held; held[:looked] has none
        while not self.ended:
            if not whole:
                # (only what came since the last look is searched: a long line costs one
                # pass; a "\r" last then may have had its next byte come since)
                at = max(looked - 1, 0)
                cr_at = self.held.find(b"\r", at) if cr else -1
                whole = self.held.find(b"\n", at) >= 0 or 0 <= cr_at < len(self.held) - 1
                looked = len(self.held)
                if not whole and max_line is not None and looked > max_line:
                    return None, False
            if whole:
                if deadline is None:
                    deadline = time.monotonic() + _CHUNK_WAIT
                wait = min(_ARRIVAL_GAP, deadline - time.monotonic())
                if len(self.held) >= size or not self._arrives(wait):
                    break
            self._read(size - len(self.held))
        cut = len(self.held) if self.ended else line_end_after(self.held, False, cr)
        out = bytes(self.held[:cut])
        del self.held[:cut]
        return out, self.ended and not self.held


_stdin_reader: tuple[Any, PipeReader] | None = None


def stdin_reader() -> PipeReader:
    """The one reader of standard input (a pipe or terminal) for this process, so that what
    a look at its start took (``peek``) is still handed out."""
    global _stdin_reader
    if _stdin_reader is None or _stdin_reader[0] is not sys.stdin:
        _stdin_reader = (sys.stdin, PipeReader(sys.stdin.fileno()))
    return _stdin_reader[1]


def file_stamp(f: BinaryIO, path: str | None = None) -> tuple[int, int, int] | None:
    """(size, modification time, inode) of a plain, uncompressed file being read, else None;
    with ``path``, of the file the path names now (it may have been replaced)."""
    if type(f) is not io.BufferedReader:
        return None
    try:
        st = os.stat(path) if path is not None else os.fstat(f.fileno())
    except OSError:
        return (-1, -1, -1)  # gone: differs from any real stamp
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def is_regular_file(stream: Any) -> bool:
    """Whether ``stream`` reads a file on disk (not a pipe, terminal or socket)."""
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return False


def partial_path(path: str | os.PathLike[str]) -> tuple[Path, Path] | None:
    """Where an output file is written until it is complete, and the file it then becomes:
    a hidden file beside it, renamed over it.  A symbolic link is followed (the file it
    points to is replaced, the link stays).  None when the path exists and is not a regular
    file (``/dev/null``, ``/dev/stdout``, a named pipe): that is written directly, never
    replaced.  A directory is a :class:`FileError`.
    """
    p = Path(path)
    if p.is_dir():
        raise FileError(f"{path}: is a directory (the output is a file)")
    if p.exists() and not p.is_file():
        return None
    final = resolved(p) if p.is_symlink() else p
    return final.with_name(f".{final.name}.tieng-partial"), final


def resolved(path: str | os.PathLike[str]) -> Path:
    """``path`` with its symbolic links followed; a loop of links is a :class:`FileError`
    (``Path.resolve`` raises ``RuntimeError`` for one before Python 3.13, ``OSError`` after)."""
    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        raise FileError(f"{path}: a loop of symbolic links") from None


def spill_directory() -> str:
    """A new private directory for the workers' output files: in memory where possible.

    Its name holds this process's id (``tieng-<pid>-...``); those of runs that were killed
    (``kill -9`` leaves them) are removed when a new one is made.
    """
    shm = "/dev/shm"
    where = shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None
    _sweep(Path(where or tempfile.gettempdir()))
    return tempfile.mkdtemp(prefix=f"tieng-{os.getpid()}-", dir=where)


def _sweep(parent: Path) -> None:
    """Remove the spill directories of this user's runs that are no longer running."""
    import shutil

    try:
        found = list(parent.glob("tieng-*-*"))
    except OSError:
        return
    for d in found:
        pid = d.name.split("-")[1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            if d.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # raises when no such process
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (OSError, AttributeError):  # not ours to signal, or no getuid: leave it
            continue


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _open_locked(target: str, path: str) -> BinaryIO:
    """The partial file ``target`` opened for writing, empty, and locked (an exclusive
    ``flock``, where there is one) so that a second run writing the same output is refused
    instead of mixing its bytes into this one's: opened without truncating, locked, then
    emptied.  The lock goes with the process: a killed run leaves none behind."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX: no lock
            pass
        else:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise FileError(
                    f"{path}: another run is writing it now ({target} is locked); wait for "
                    "it to end, or write elsewhere"
                ) from None
            except OSError:  # a file system without locks: written unlocked
                pass
        os.ftruncate(fd, 0)
        return open(fd, "wb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


class OutputFile:
    """One output: standard output, or a file written under a temporary name and renamed when
    complete (or written directly when it is not a regular file, see :func:`partial_path`)."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.newline = True  # what is written so far ends a line (or is nothing)
        self.tmp: Path | None = None  # None: written directly
        if path is None:
            sys.stdout.flush()
            self.stream: BinaryIO = sys.stdout.buffer
            self.target = None
            return
        paths = partial_path(path)
        try:
            if paths is None:
                self.target = path
            else:
                self.tmp, self.final = paths
                self.final.parent.mkdir(parents=True, exist_ok=True)
                self.target = str(self.tmp)
            # (a partial file is locked; a device or a pipe is written as it is)
            self.raw: BinaryIO = (
                open(self.target, "wb") if self.tmp is None else _open_locked(self.target, path)
            )
        except OSError as e:
            raise FileError(f"{path}: cannot write ({e.strerror})") from None
        # A name ending in .gz, .bz2, .xz (or .zst) is written compressed, as it says.
        suffix = compression_of(path)
        self.compressed = suffix is not None
        name = os.path.basename(os.fspath(path))  # (gzip's header: the name, not the partial's)
        self.stream = COMPRESSORS[suffix](self.raw, name) if suffix is not None else self.raw

    def write(self, data: bytes) -> None:
        if not data:
            return
        try:
            self.stream.write(data)
            if self.tmp is None:
                self.stream.flush()  # a reader of standard output sees each chunk at once
        except BrokenPipeError:
            raise
        except OSError as e:  # no room left, say
            raise FileError(f"{self.path or '<stdout>'}: cannot write ({e.strerror})") from None
        self.newline = data.endswith(b"\n")

    def write_file(self, path: str, size: int, newline: bool) -> None:
        """Append the first ``size`` bytes of the file ``path`` (ending a line if
        ``newline``), then remove the file."""
        with open(path, "rb") as f:
            self.stream.flush()
            done = 0
            try:
                while done < size and not self.compressed:  # the kernel copies plain bytes
                    n = os.sendfile(self.stream.fileno(), f.fileno(), done, size - done)
                    if n == 0:
                        break
                    done += n
            except (OSError, AttributeError, io.UnsupportedOperation):
                pass  # no sendfile here (or not to this output): copy the rest by hand
            if done < size:
                f.seek(done)
                self.write(f.read(size - done))
        os.unlink(path)
        if size:
            self.newline = newline

    def finish(self) -> None:
        try:
            if self.path is None:
                self.stream.flush()
                return
            if self.compressed:
                self.stream.close()  # the compressor's last block (the file stays open)
            self.raw.flush()
            if self.tmp is not None:
                # As databases commit: the data reach the disk before the name does, and the
                # name before the run says it is done, so a power cut never leaves an empty
                # or partial file under the final name.
                os.fsync(self.raw.fileno())
            self.raw.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.final)
                _sync_directory(self.final.parent)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise FileError(f"{self.path or '<stdout>'}: cannot write ({e.strerror})") from None

    def abandon(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError, EOFError, lzma.LZMAError):
                self.stream.close()
            with contextlib.suppress(OSError):
                self.raw.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def _sync_directory(path: Path) -> None:
    """Make a rename in ``path`` durable (where the system can open a directory)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # not on this system (Windows), or not allowed: the rename stands
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (see :class:`OutputFile`); a
    :class:`FileError` says why when it cannot."""
    out = OutputFile(os.fspath(path))
    try:
        out.write(data)
        out.finish()
    except BaseException:
        out.abandon()
        raise
