"""Segmenting corpora of any size: files, directories, compressed streams, JSONL, many cores.

This is the engine behind ``tieng segment``.  Input is read in chunks of whole lines; each is
decoded, parsed, segmented and formatted by a worker process, and the results are written in
input order, so memory stays flat however large the input.  A record that cannot be used
(invalid UTF-8, invalid JSON, a missing or non-string field) does not stop the run: it is
reported with its file and line and counted, and the run ends with a non-zero status.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import itertools
import json
import lzma
import multiprocessing
import os
import re
import select
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from ._accel import speedups as _speedups
from .pool import ordered_map
from .results import Segmented, Word
from .segmentation import Segmenter

__all__ = ["CorpusError", "Options", "Summary", "find_inputs", "open_input", "run"]

_OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_BOM = b"\xef\xbb\xbf"
_NON_SPACE = re.compile(r"\S+")
CHUNK_BYTES = 1 << 19  # input is cut into chunks of about this size, at line ends


class CorpusError(Exception):
    """An input or output that cannot be used at all (missing file, bad option)."""


@dataclass(frozen=True)
class Options:
    """What to read and what to write."""

    input_format: str = "text"  # "text" (one document a line) or "jsonl"
    field: str = "text"  # JSONL: the field holding the text
    output_format: str = "text"  # "text", "jsonl" or "conllu"
    output_field: str = "tieng"  # JSONL output: where the result goes
    sentence_lines: bool = False  # text output: one sentence a line
    errors: str = "strict"  # invalid UTF-8: "strict" (record fails), "replace", "surrogateescape"
    confidence: bool = False  # JSONL output: add each word's confidence
    text_only: bool = False  # JSONL output: the result is the underscore text alone


@dataclass
class Summary:
    """Counts of a finished run."""

    records: int = 0
    failed: int = 0
    syllables: int = 0
    bytes: int = 0
    skipped_files: int = 0
    errors: list[dict] = field(default_factory=list)  # the first few, for the report


def open_input(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a file for reading bytes, decompressing ``.gz``, ``.bz2`` and ``.xz``; "-" is stdin."""
    if str(path) == "-":
        if sys.stdin is None:  # started with standard input closed
            raise CorpusError("<stdin>: standard input is closed; name input files instead")
        return sys.stdin.buffer
    opener = _OPENERS.get(Path(path).suffix.lower(), open)
    try:
        f = opener(path, "rb")
    except FileNotFoundError:
        raise CorpusError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CorpusError(f"{path}: is a directory") from None
    except OSError as e:
        raise CorpusError(f"{path}: cannot open ({e.strerror})") from None
    try:
        if f.seekable():
            head = f.read(4)
            f.seek(0)
            check_encoding(head, str(path))
    except CorpusError:
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
    """A :class:`CorpusError` when ``head``, the first bytes of an input, is the byte-order
    mark of UTF-16 or UTF-32 (a Windows "Unicode" save): tieng reads UTF-8.

    >>> check_encoding("Hà Nội".encode("utf-16"), "a.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    tieng.corpus.CorpusError: a.txt: the text is UTF-16 ...: iconv -f UTF-16 -t UTF-8
    """
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            raise CorpusError(
                f"{label}: the text is {name} (it starts with a {name} byte-order mark), and "
                f"tieng reads UTF-8; convert it first: iconv -f {name} -t UTF-8"
            )


def find_inputs(
    names: list[str], glob: str = "*", exclude: str | os.PathLike[str] | None = None
) -> list[tuple[str, str | None]]:
    """``(path, relative name)`` of every input file; directories are walked recursively.

    The relative name is ``None`` for files named directly (and for "-"), else the path below
    the directory given, used to mirror the directory into an output directory.  Files under
    ``exclude`` (an output directory inside an input directory) are left out of the walk.
    """
    out: list[tuple[str, str | None]] = []
    skip = Path(exclude).resolve() if exclude is not None else None
    for name in names:
        if name == "-":
            out.append((name, None))
            continue
        p = Path(name)
        if p.is_dir():
            found = sorted(
                q
                for q in p.rglob(glob)
                if q.is_file() and (skip is None or not q.resolve().is_relative_to(skip))
            )
            out.extend((str(q), str(q.relative_to(p))) for q in found)
        elif p.exists():
            out.append((name, None))
        else:
            raise CorpusError(f"{name}: no such file or directory")
    return out


def _strip_compression(name: str) -> str:
    p = Path(name)
    return str(p.with_suffix("")) if p.suffix.lower() in _OPENERS else name


# ------------------------------------------------------------------ worker side
@dataclass
class _Task:
    file: int
    source: str
    # Number of the chunk's first line in its file; None when the main process did not count
    # the lines before it: the result's line numbers then start at 1, and the main process
    # adds the lines of the chunks before (``_Result.lines_relative``).
    first_line: int | None
    first_byte: int  # offset of the chunk in the (decompressed) file
    data: bytes  # whole lines (empty when ``reread`` says where to read them)
    last: bool
    options: Options
    # With worker processes, a chunk of a plain file travels as (path, length, stamp): the
    # worker reads it from the file (from the page cache), which costs far less than sending
    # it through a pipe.  The stamp (size, modification time, inode) the main process saw,
    # and line ends where the chunk begins and ends, catch a file changed in between.
    reread: tuple[str, int, tuple[int, int, int]] | None = None
    # With worker processes, the output goes back as a file in this directory (in memory,
    # on /dev/shm where there is one), which the main process copies into place in the kernel
    # (os.sendfile), rather than through a pipe.
    spill: str | None = None
    # With worker processes and one output file, the workers append their output to it
    # themselves, in task order (``seq``), so the main process copies nothing;
    # ``newline_after``: the next input starts here, on a line of its own.
    seq: int = 0
    newline_after: bool = False


@dataclass
class _Result:
    file: int
    last: bool
    data: bytes  # the output, encoded (empty when spilled)
    records: int
    syllables: int
    nbytes: int
    errors: list[dict]
    spilled: tuple[str, int, bool] | None = None  # (file, size, ends with "\n") of the output
    lines_relative: bool = False  # the errors' line numbers count from the chunk's start


def _line_end(raw: bytes) -> tuple[bytes, bytes]:
    if raw.endswith(b"\r\n"):
        return raw[:-2], b"\r\n"
    if raw.endswith(b"\n"):
        return raw[:-1], b"\n"
    return raw, b""


def _words_json(doc: Segmented, confidence: bool = False) -> dict[str, Any]:
    """The JSONL fields of one result: words, offsets, confidences if asked for, and the
    sentences (each as the index of its first word and one past its last) if asked for."""
    words = doc.words
    out: dict[str, Any] = {
        "words": [w.text for w in words],
        "offsets": [[w.start, w.end] for w in words],
    }
    if confidence:
        out["confidence"] = [round(w.confidence or 0.0, 4) for w in words]
    if doc.sentences is not None:
        bounds, at = [], 0
        for sentence in doc.sentences:
            bounds.append([at, at + len(sentence)])
            at += len(sentence)
        out["sentences"] = bounds
    return out


def _conllu(sentences: list[list[Word]], text: str, source: str, line: int) -> str:
    out = []
    for k, words in enumerate(sentences, 1):
        out.append(f"# sent_id = {source}:{line}:{k}")
        first, last = words[0].start, words[-1].end
        out.append(f"# text = {_conllu_safe(text[first:last])}")
        for i, w in enumerate(words, 1):
            misc = f"TokenRange={w.start}:{w.end}"
            nxt = words[i].start if i < len(words) else None
            if nxt == w.end:
                misc = "SpaceAfter=No|" + misc
            out.append(f"{i}\t{_conllu_safe(w.text)}\t_\t_\t_\t_\t_\t_\t_\t{misc}")
        out.append("")
    return "\n".join(out) + "\n" if out else ""


def _conllu_safe(s: str) -> str:
    return s.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _process(seg: Segmenter, task: _Task) -> _Result:
    """Decode, parse, segment and format one chunk of lines (runs in a worker)."""
    opt = task.options
    if task.reread is not None:
        task = _reread(task)
    errors: list[dict] = []
    texts: list[str] = []
    ends: list[str] = []
    objects: list[dict | None] = []  # JSONL records, None where the line failed
    ok: list[bool] = []
    nbytes = 0
    whole = _decode_text_chunk(task) if opt.input_format == "text" else None
    if whole is not None:  # the common case, without a Python step per line
        texts, ends, syllables = whole
        ok = [True] * len(texts)
        objects = [None] * len(texts)
        nbytes = len(task.data)
    lines = [] if whole is not None else task.data.split(b"\n")
    if lines and lines[-1]:
        lines = [x + b"\n" for x in lines[:-1]] + [lines[-1]]
    elif lines:
        lines = [x + b"\n" for x in lines[:-1]]
    first_line = 1 if task.first_line is None else task.first_line
    for k, raw in enumerate(lines):
        lineno = first_line + k
        offset = task.first_byte + nbytes
        nbytes += len(raw)
        if offset == 0 and raw.startswith(_BOM):
            raw = raw[3:]
            offset += 3
        body, end = _line_end(raw)
        ends.append(end.decode("ascii"))
        fail = None
        text = ""
        obj = None
        try:
            line = body.decode("utf-8", opt.errors)
        except UnicodeDecodeError as e:
            line = body.decode("utf-8", "replace")
            fail = (
                f"invalid UTF-8 at byte {offset + e.start} of the file "
                f"({body[e.start : e.start + 4]!r})"
            )
        if fail is None and opt.input_format == "jsonl":
            if not line.strip():
                fail = "empty line (expected a JSON object)"
            else:
                try:
                    obj = json.loads(line)
                except ValueError as e:
                    fail = f"invalid JSON ({e})"
                else:
                    if not isinstance(obj, dict):
                        fail = f"expected a JSON object, got {type(obj).__name__}"
                    elif opt.field not in obj:
                        fail = f"no field {opt.field!r}"
                    elif not isinstance(obj[opt.field], str):
                        fail = f"field {opt.field!r} is {type(obj[opt.field]).__name__}, not str"
                    else:
                        text = obj[opt.field]
        elif fail is None:
            text = line
        if fail is not None:
            errors.append({"source": task.source, "line": lineno, "error": fail, "record": line})
            obj = None
        texts.append(text if fail is None else "")
        objects.append(obj)
        ok.append(fail is None)

    parts: list[str] = []
    n = len(texts) or 1
    if opt.output_format == "text":
        results = seg.pipe_text(texts, n, sentence_lines=opt.sentence_lines)
        for good, res, ending in zip(ok, results, ends):
            parts.append((res if good else "") + ending)
    elif opt.output_format == "jsonl":
        # Lone surrogates come only from JSON escapes or from bytes kept by surrogateescape;
        # plain text decoded strictly (or with "replace") has none to look for.
        surrogates_possible = opt.input_format == "jsonl" or opt.errors == "surrogateescape"
        values: Iterable[Any]  # what goes under the output field, one per text
        if opt.text_only:
            values = seg.pipe_text(texts, n, sentence_lines=opt.sentence_lines)
        else:
            docs = seg.pipe(
                texts, batch_size=n, sentences=opt.sentence_lines, confidence=opt.confidence
            )
            values = ({"text": r.text, **_words_json(r, opt.confidence)} for r in docs)
        for k, (good, value) in enumerate(zip(ok, values)):
            if not good:
                continue
            obj = objects[k]
            rec = dict(obj) if obj is not None else {"text": texts[k]}
            rec[opt.output_field] = value
            out = json.dumps(rec, ensure_ascii=False)
            if surrogates_possible:
                try:
                    out.encode("utf-8")
                except UnicodeEncodeError:  # lone surrogates: keep them, escaped
                    out = json.dumps(rec)
            parts.append(out + "\n")
    else:  # conllu
        docs = seg.pipe(texts, batch_size=n, sentences=True)
        for k, (good, doc) in enumerate(zip(ok, docs)):
            if good:
                parts.append(_conllu(doc.sentences or [], texts[k], task.source, first_line + k))
    if whole is None:
        syllables = sum(_count_syllables(t) for t in texts)
    out = "".join(parts)
    try:
        # Bytes that were not UTF-8 go back out as they were (--errors surrogateescape).
        data = out.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = out.encode("utf-8", "replace")
    result = _Result(task.file, task.last, data, len(texts), syllables, nbytes, errors)
    result.lines_relative = task.first_line is None
    if task.spill is not None and data:
        path = None
        try:
            fd, path = tempfile.mkstemp(prefix="out-", dir=task.spill)
            with open(fd, "wb") as f:
                f.write(data)
        except OSError:  # no room there, say: the data goes back through the pipe
            if path is not None:
                with contextlib.suppress(OSError):
                    os.unlink(path)
            return result
        result.data = b""
        result.spilled = (path, len(data), data.endswith(b"\n"))
    return result


def _reread(task: _Task) -> _Task:
    """The task with its data read from its file (see ``_Task.reread``)."""
    assert task.reread is not None
    path, length, stamp = task.reread
    start = task.first_byte
    try:
        with open(path, "rb") as f:
            f.seek(max(start - 1, 0))
            before = f.read(1) if start else b"\n"
            data = f.read(length)
            st = os.fstat(f.fileno())
    except OSError as e:
        raise CorpusError(f"{task.source}: cannot read ({e.strerror})") from None
    if (
        (st.st_size, st.st_mtime_ns, st.st_ino) != stamp
        or len(data) != length
        or before != b"\n"
        or not (data.endswith(b"\n") or start + length == stamp[0])
    ):
        raise CorpusError(f"{task.source}: the file changed while it was being read")
    return replace(task, data=data, reread=None)


def _decode_text_chunk(task: _Task) -> tuple[list[str], list[str], int] | None:
    """The lines of a chunk of plain text, their line ends and the number of syllables (runs
    of non-space characters) in all, or None if the chunk is not UTF-8.

    Gives what decoding line by line gives (a line that is not UTF-8 is left to that slower
    path, which reports it).
    """
    try:
        whole = task.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if task.first_byte == 0 and whole.startswith("\ufeff"):
        whole = whole[1:]
    texts = whole.split("\n")
    last = texts.pop()  # after the last "\n": a line without an end, or nothing
    ends = ["\n"] * len(texts)
    if "\r" in whole:
        for k, t in enumerate(texts):
            if t.endswith("\r"):
                texts[k], ends[k] = t[:-1], "\r\n"
    if last:
        texts.append(last)
        ends.append("")
    return texts, ends, _count_syllables(whole)


def _count_syllables(text: str) -> int:
    """Runs of non-space characters (``len(text.split())``, without the list on huge lines)."""
    if _speedups is not None:
        return _speedups.count_words(text)
    if len(text) < 100_000:
        return len(text.split())
    return sum(1 for _ in _NON_SPACE.finditer(text))


_ARRIVAL_GAP = 0.005  # s: a pause this long in a pipe's input ends a chunk ...
_CHUNK_WAIT = 0.2  # s: ... and so does this much time after its first whole line


class _PipeReader:
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

    def chunk(self, size: int) -> tuple[bytes, bool]:
        """Whole lines, about ``size`` bytes at most, and whether the input ended with them.

        Waits for a whole line (or the end), then takes what keeps arriving until a short
        pause, ``size`` bytes, or a little time; ``(b"", True)`` once the input has ended.
        """
        deadline = None
        whole, looked = False, 0  # a line end is held; held[:looked] has none
        while not self.ended:
            if not whole:
                whole = self.held.find(b"\n", looked) >= 0
                looked = len(self.held)
            if whole:
                if deadline is None:
                    deadline = time.monotonic() + _CHUNK_WAIT
                wait = min(_ARRIVAL_GAP, deadline - time.monotonic())
                if len(self.held) >= size or not self._arrives(wait):
                    break
            self._read(size - len(self.held))
        cut = len(self.held) if self.ended else self.held.rfind(b"\n") + 1
        out = bytes(self.held[:cut])
        del self.held[:cut]
        return out, self.ended and not self.held


_stdin_reader: tuple[Any, _PipeReader] | None = None


def stdin_reader() -> _PipeReader:
    """The one reader of standard input (a pipe or terminal) for this process, so that what
    a look at its start took (``peek``) is still handed out."""
    global _stdin_reader
    if _stdin_reader is None or _stdin_reader[0] is not sys.stdin:
        _stdin_reader = (sys.stdin, _PipeReader(sys.stdin.fileno()))
    return _stdin_reader[1]


def _stamp(f: BinaryIO, path: str | None = None) -> tuple[int, int, int] | None:
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


def _is_regular_file(stream: Any) -> bool:
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
    replaced.  A directory is a :class:`CorpusError`.
    """
    p = Path(path)
    if p.is_dir():
        raise CorpusError(f"{path}: is a directory (the output is a file)")
    if p.exists() and not p.is_file():
        return None
    final = p.resolve() if p.is_symlink() else p
    return final.with_name(f".{final.name}.tieng-partial"), final


def _spill_directory() -> str:
    """A new private directory for the workers' output files: in memory where possible."""
    shm = "/dev/shm"
    where = shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None
    return tempfile.mkdtemp(prefix="tieng-", dir=where)


def _setup(seg: Segmenter) -> Segmenter:
    return seg


class _Appender:
    """A worker's side of the shared output file: appends results in task order.

    ``turn`` (shared) is the ``seq`` of the next task to write; ``newline`` (shared) tells
    whether the file so far ends a line (or is empty).  Both change under ``cond``.
    """

    def __init__(self, seg: Segmenter, path: str, turn, newline, cond) -> None:
        self.seg = seg
        self.path = path
        self.turn = turn
        self.newline = newline
        self.cond = cond
        self.fd: int | None = None

    def append(self, task: _Task, data: bytes) -> None:
        with self.cond:
            self.cond.wait_for(lambda: self.turn.value == task.seq)
            try:
                if data or task.newline_after:
                    if self.fd is None:
                        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
                    if data:
                        _write_all(self.fd, data)
                        self.newline.value = data.endswith(b"\n")
                    if task.newline_after and not self.newline.value:
                        _write_all(self.fd, b"\n")  # the next input starts on a new line
                        self.newline.value = True
            except OSError as e:  # no room left, say
                raise CorpusError(f"{self.path}: cannot write ({e.strerror})") from None
            finally:
                self.turn.value = task.seq + 1  # even after an error: the run stops anyway
                self.cond.notify_all()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _setup_appender(seg: Segmenter, path: str, turn, newline, cond) -> _Appender:
    return _Appender(seg, path, turn, newline, cond)


def _process_and_append(appender: _Appender, task: _Task) -> _Result:
    """:func:`_process`, then the output appended to the shared file in task order."""
    result = _process(appender.seg, task)
    appender.append(task, result.data)
    result.data = b""
    return result


# ------------------------------------------------------------------ main side
class _Sink:
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
            self.stream = open(self.target, "wb")
        except OSError as e:
            raise CorpusError(f"{path}: cannot write ({e.strerror})") from None

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
            raise CorpusError(f"{self.path or '<stdout>'}: cannot write ({e.strerror})") from None
        self.newline = data.endswith(b"\n")

    def write_file(self, path: str, size: int, newline: bool) -> None:
        """Append the first ``size`` bytes of the file ``path`` (ending a line if
        ``newline``), then remove the file."""
        with open(path, "rb") as f:
            self.stream.flush()
            done = 0
            try:
                while done < size:
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
            self.stream.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.final)
        except BrokenPipeError:
            raise
        except OSError as e:
            raise CorpusError(f"{self.path or '<stdout>'}: cannot write ({e.strerror})") from None

    def abandon(self) -> None:
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.stream.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def run(
    inputs: list[tuple[str, str | None]],
    segmenter: Segmenter,
    options: Options,
    *,
    output: str | None = None,
    output_dir: str | None = None,
    jobs: int = 1,
    resume: bool = False,
    keep_failed: bool = False,
    on_progress: Callable[[_Result], None] | None = None,
    on_error: Callable[[dict], None] | None = None,
) -> Summary:
    """Segment ``inputs`` (from :func:`find_inputs`) and write the results.

    With ``output_dir``, every input file gets its own output file at the same relative
    path (compression suffix dropped); otherwise everything goes to ``output`` (a file) or,
    when that is ``None``, to standard output.  ``resume`` skips inputs whose output file is
    already complete.  Outputs appear under their final names only when complete; an output
    with failed records is removed, unless ``keep_failed`` (the failures are kept elsewhere,
    e.g. in an errors file).
    """
    summary = Summary()
    targets: list[str | None] = []
    for path, rel in inputs:
        if output_dir is not None:
            name = _strip_compression(rel if rel is not None else Path(path).name)
            targets.append(str(Path(output_dir) / name))
        else:
            targets.append(output)
    todo = [
        i
        for i, t in enumerate(targets)
        if not (resume and output_dir is not None and t is not None and Path(t).exists())
    ]
    summary.skipped_files = len(inputs) - len(todo)
    if resume and output_dir is None and output is not None and Path(output).exists():
        summary.skipped_files = len(inputs)
        return summary

    shared = output_dir is None  # one sink for all inputs
    # With workers and one output file, the workers append to it themselves (``_Appender``);
    # with workers and other outputs, they spill their output to files the main process
    # copies into place.
    append = jobs > 1 and shared and output is not None
    spill = _spill_directory() if jobs > 1 and not append else None
    seq = itertools.count()
    # Standard input from a pipe or a terminal may trickle (`tail -f log | tieng segment`):
    # then each chunk's output is written as soon as it is ready.
    streaming = any(inputs[i][0] == "-" for i in todo) and not _is_regular_file(sys.stdin)

    def task(i, label, line_no, done, data, last, reread=None) -> _Task:
        newline_after = append and last and i != todo[-1]
        if reread is not None and data:  # the worker reads the data from the file itself
            reread, data = (reread[0], len(data), reread[1]), b""
        return _Task(
            i, label, line_no, done, data, last, options, reread, spill, next(seq), newline_after
        )

    def by_offsets(i: int, label: str, f: BinaryIO, path: str, stamp) -> Iterator[_Task]:
        """Tasks that say where the chunks of a plain file are, for workers to read them:
        this process reads only where a chunk ends, to find the end of that line."""
        size, start = stamp[0], 0
        while start < size:
            end = start + CHUNK_BYTES
            if end < size:
                f.seek(end - 1)
                end += len(f.readline()) - 1  # the end of the line that byte is in
            end = min(end, size)
            t = task(i, label, None, start, b"", end == size)
            t.reread = (path, end - start, stamp)
            yield t
            start = end
        if size == 0:
            yield task(i, label, None, 0, b"", True)

    def tasks() -> Iterator[_Task]:
        for i in todo:
            path = inputs[i][0]
            label = "<stdin>" if path == "-" else path
            f = open_input(path)
            # A plain file is read by the workers rather than sent to them.
            reread = None
            if jobs > 1 and path != "-" and type(f) is io.BufferedReader:
                st = os.fstat(f.fileno())
                if stat.S_ISREG(st.st_mode):
                    reread = (path, (st.st_size, st.st_mtime_ns, st.st_ino))
            try:
                if reread is not None and options.output_format != "conllu":
                    # Line numbers are then counted by the workers (CoNLL-U writes them).
                    yield from by_offsets(i, label, f, *reread)
                    continue
                line_no, done = 1, 0
                if path == "-" and streaming:
                    # Hand each chunk on as it arrives, so its output is written before more
                    # input comes; the chunk the input ends with (perhaps empty) is the last.
                    reader, ended = stdin_reader(), False
                    while not ended:
                        chunk, ended = reader.chunk(CHUNK_BYTES)
                        yield task(i, label, line_no, done, chunk, ended, None)
                        line_no += chunk.count(b"\n")
                        done += len(chunk)
                    continue
                # A plain file must end as it began: one cut short or replaced while it was
                # read would otherwise give a short output under the final name.
                before = _stamp(f) if path != "-" else None
                pending = None
                while chunk := f.read(CHUNK_BYTES):
                    if not chunk.endswith(b"\n"):
                        chunk += f.readline()
                    if pending is not None:
                        yield task(i, label, line_no, done, pending, False, reread)
                        line_no += pending.count(b"\n")
                        done += len(pending)
                    pending = chunk
                if before is not None and (
                    _stamp(f, path) != before or done + len(pending or b"") != before[0]
                ):
                    raise CorpusError(f"{label}: the file changed while it was being read")
                yield task(i, label, line_no, done, pending or b"", True, reread)
            except (OSError, EOFError, lzma.LZMAError) as e:
                raise CorpusError(f"{label}: cannot read ({e})") from None
            finally:
                if path != "-":  # standard input stays open (and may be closed: None)
                    f.close()

    sink: _Sink | None = None
    sink_failed = 0
    work: Callable[[Any, _Task], _Result] = _process
    setup: Callable[..., Any] = _setup
    setup_args: tuple = (segmenter,)
    if append:
        # The shared state first: if it cannot be made, no partial output file is left.
        context = multiprocessing.get_context()
        turn, newline = context.RawValue("q", 0), context.RawValue("b", 1)
        cond = context.Condition()
        sink = _Sink(output)  # the workers append to its temporary file
        work, setup = _process_and_append, _setup_appender
        setup_args = (segmenter, sink.target, turn, newline, cond)

    def close(sink: _Sink, failed: int) -> None:
        if failed and not keep_failed:
            sink.abandon()
        else:
            sink.finish()

    lines_before = 0  # lines of the current input in the results handed out so far
    try:
        todo_tasks: Iterator[_Task] = tasks()
        if streaming and jobs > 1 and len(todo) == 1:
            # Standard input alone: its first chunk (which waits for nothing more than a
            # pause) tells whether it ended there, as `echo ... | tieng segment` does: then
            # workers would cost more than they save.
            first = next(todo_tasks)
            if first.last:
                jobs = 1
            todo_tasks = itertools.chain([first], todo_tasks)
        results = ordered_map(
            work, todo_tasks, jobs=jobs, setup=setup, setup_args=setup_args, streaming=streaming
        )
        for res in results:
            if sink is None:
                sink = _Sink(output if shared else targets[res.file])
            if res.spilled is not None:
                sink.write_file(*res.spilled)
            elif res.data:
                sink.write(res.data)
            if not append and shared and res.last and res.file != todo[-1] and not sink.newline:
                sink.write(b"\n")  # the next input starts on a line of its own
            summary.records += res.records
            summary.syllables += res.syllables
            summary.bytes += res.nbytes
            summary.failed += len(res.errors)
            sink_failed += len(res.errors)
            if res.lines_relative:
                for err in res.errors:
                    err["line"] += lines_before
            lines_before = 0 if res.last else lines_before + res.records
            for err in res.errors:
                if len(summary.errors) < 20:
                    summary.errors.append(err)
                if on_error is not None:
                    on_error(err)
            if on_progress is not None:
                on_progress(res)
            if res.last and not shared:
                close(sink, sink_failed)
                sink, sink_failed = None, 0
        if sink is None and shared:
            sink = _Sink(output)  # no input at all: still write an empty file
        if sink is not None:
            close(sink, sink_failed)
            sink = None
    finally:
        if sink is not None:
            sink.abandon()
        if spill is not None:
            shutil.rmtree(spill, ignore_errors=True)
    return summary
