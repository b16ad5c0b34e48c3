"""Segmenting corpora of any size: files, directories, compressed streams, JSONL, many cores.

This is the engine behind ``tieng segment``.  Input is read in chunks of whole lines; each is
decoded, parsed, segmented and formatted by a worker process, and the results are written in
input order, so memory stays flat however large the input.  A record that cannot be used
(invalid UTF-8, invalid JSON, a missing or non-string field) does not stop the run: it is
reported with its file and line and counted, and the run ends with a non-zero status.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import lzma
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from ..files import (
    FileError,
    OutputFile,
    compression_of,
    file_stamp,
    is_regular_file,
    line_end_after,
    open_input,
    partial_path,
    resolved,
    spill_directory,
    stdin_reader,
    strip_compression,
    write_all,
)
from ..formats import conllu, words_json
from ..pool import ordered_map
from ..segmentation import Segmenter
from ..tagging import tag_segmented
from ..tokenization import SPACE_CHARS
from ..values import styled_text
from .records import (
    BOM,
    MAX_LINE_BYTES,
    count_line_ends,
    count_syllables,
    decode,
    decode_text_chunk,
    parse_jsonl,
    split_line_end,
    text_lines,
)

__all__ = ["CorpusError", "Options", "Summary", "find_inputs", "partial_path", "run"]

CHUNK_BYTES = 1 << 19  # input is cut into chunks of about this size, at line ends


class CorpusError(FileError):
    """A run that cannot go on: an input or output that cannot be used at all."""


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
    tags: bool = False  # tag the words with their part of speech
    segmented: bool = False  # the input is segmented already (underscore format): tag it
    escape: bool = True  # a token's own "_" and "\\" escaped (False: as they are, for PhoBERT)
    nfc: bool = False  # the underscore text in NFC
    restore: bool = False  # JSONL output: add the text with its diacritics restored
    task: str = "segment"  # "segment" (and tag), or "restore" (the text restored, alone)
    parse: bool = False  # each word's head and relation (CoNLL-U or JSON lines output)

    def __post_init__(self) -> None:
        """Options that cannot go together are refused (named as ``tieng segment``'s)."""
        if self.task not in ("segment", "restore"):
            raise ValueError(f"unknown task {self.task!r}")
        if self.parse and self.output_format == "text":
            raise ValueError("tieng parse writes CoNLL-U (the default) or JSON lines (--to jsonl)")
        if self.parse and self.text_only:
            raise ValueError("--text-only leaves out the words, whose heads the parse gives")
        if self.task == "restore" and self.output_format == "conllu":
            raise ValueError("tieng restore writes text or JSON lines, not CoNLL-U")
        if self.restore and self.output_format != "jsonl":
            raise ValueError("--restore goes with JSONL output (--to jsonl)")
        if self.restore and self.text_only:
            raise ValueError(
                "--text-only leaves out everything but the words' text, so it "
                "cannot go with --restore"
            )
        if self.input_format not in ("text", "jsonl"):
            raise ValueError(f"--format must be text or jsonl, not {self.input_format!r}")
        if self.output_format not in ("text", "jsonl", "conllu"):
            raise ValueError(f"--to must be text, jsonl or conllu, not {self.output_format!r}")
        if self.confidence and self.output_format != "jsonl":
            raise ValueError("--confidence goes with JSONL output (--to jsonl)")
        if self.text_only and self.output_format != "jsonl":
            raise ValueError("--text-only goes with JSONL output (--to jsonl)")
        if self.text_only and self.confidence:
            raise ValueError("--text-only leaves out the words, so it cannot go with --confidence")
        if (not self.escape or self.nfc) and (self.output_format == "conllu" or self.segmented):
            raise ValueError(
                "--no-escape and --nfc shape the underscore text: they go with text or JSON "
                "lines output of segment"
            )


@dataclass
class Summary:
    """Counts of a finished run."""

    records: int = 0
    failed: int = 0
    syllables: int = 0
    bytes: int = 0
    skipped_files: int = 0
    errors: list[dict] = field(default_factory=list)  # the first few, for the report


def find_inputs(
    names: list[str], glob: str = "*", exclude: str | os.PathLike[str] | None = None
) -> list[tuple[str, str | None]]:
    """``(path, relative name)`` of every input file; directories are walked recursively.

    The relative name is ``None`` for files named directly (and for "-"), else the path below
    the directory given, used to mirror the directory into an output directory.  Files under
    ``exclude`` (an output directory inside an input directory) are left out of the walk.
    """
    out: list[tuple[str, str | None]] = []
    skip = resolved(exclude) if exclude is not None else None
    for name in names:
        if name == "-":
            out.append((name, None))
            continue
        p = Path(name)
        if p.is_dir():
            here = resolved(p)
            if skip is not None and (here == skip or here.is_relative_to(skip)):
                raise CorpusError(
                    f"{exclude}: is the input directory {name}, or holds it; mirroring it "
                    "there would write over the input (write to another directory)"
                )
            found = sorted(
                q
                for q in p.rglob(glob)
                if q.is_file() and (skip is None or not resolved(q).is_relative_to(skip))
            )
            out.extend((str(q), str(q.relative_to(p))) for q in found)
        elif p.exists():
            out.append((name, None))
        else:
            raise CorpusError(f"{name}: no such file or directory")
    mirrored: dict[str, str] = {}
    for path, rel in out:  # two input directories mirrored into one: a file name in both
        if rel is not None and mirrored.setdefault(rel, path) != path:
            raise CorpusError(
                f"{mirrored[rel]} and {path}: both would be written to {rel} in the output "
                "directory (mirror each input directory into a directory of its own)"
            )
    return out


def _too_long(where: str, limit: int) -> str:
    return (
        f"{where}: a line longer than {limit:,} bytes (no line end); tieng holds a line "
        "whole: give --max-line-bytes to raise the bound"
    )


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
    # Text input: the chunk comes right after a lone "\r" line end (a line of white space
    # first in it is then written as one space, as within a chunk: see _text_parts).
    after_cr: bool = False


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
    whole = decode_text_chunk(task.data, task.first_byte) if opt.input_format == "text" else None
    if whole is not None:  # the common case, without a Python step per line
        texts, ends, syllables = whole
        ok = [True] * len(texts)
        objects = [None] * len(texts)
        nbytes = len(task.data)
    if whole is not None:
        lines = []
    elif opt.input_format == "text":
        lines = text_lines(task.data)
    else:  # JSON lines end at "\n" only
        lines = task.data.split(b"\n")
        if lines and lines[-1]:
            lines = [x + b"\n" for x in lines[:-1]] + [lines[-1]]
        elif lines:
            lines = [x + b"\n" for x in lines[:-1]]
    first_line = 1 if task.first_line is None else task.first_line
    for k, raw in enumerate(lines):
        lineno = first_line + k
        offset = task.first_byte + nbytes
        nbytes += len(raw)
        if offset == 0 and raw.startswith(BOM):
            raw = raw[3:]
            offset += 3
        body, end = split_line_end(raw)
        ends.append(end.decode("ascii"))
        text = ""
        obj = None
        line, fail = decode(body, offset, opt.errors)
        if fail is None and opt.input_format == "jsonl":
            obj, text, fail = parse_jsonl(line, opt.field)
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
    if opt.task == "restore":
        restored = seg.restorer.restore_many(texts)
        if opt.output_format == "text":
            _text_parts(parts, ok, restored, ends, texts, task.after_cr)
        else:
            surrogates_possible = opt.input_format == "jsonl" or opt.errors == "surrogateescape"
            _append_jsonl(parts, ok, restored, objects, texts, opt, surrogates_possible)
    elif opt.segmented:
        _tag_segmented(seg, texts, ok, ends, objects, opt, task, first_line, parts)
    elif opt.output_format == "text":
        results = seg.pipe_text(
            texts, n, sentence_lines=opt.sentence_lines, tags=opt.tags, escape=opt.escape,
            nfc=opt.nfc,
        )  # fmt: skip
        _text_parts(parts, ok, results, ends, texts, task.after_cr)
    elif opt.output_format == "jsonl":
        # Lone surrogates come only from JSON escapes or from bytes kept by surrogateescape;
        # plain text decoded strictly (or with "replace") has none to look for.
        surrogates_possible = opt.input_format == "jsonl" or opt.errors == "surrogateescape"
        values: Iterable[Any]  # what goes under the output field, one per text
        if opt.text_only:
            values = seg.pipe_text(
                texts, n, sentence_lines=opt.sentence_lines, tags=opt.tags, escape=opt.escape,
                nfc=opt.nfc,
            )  # fmt: skip
        else:
            docs = seg.pipe(
                texts,
                batch_size=n,
                sentences=opt.sentence_lines,
                confidence=opt.confidence,
                tags=opt.tags,
                restore=opt.restore,
                parse=opt.parse,
            )
            shape = {"escape": opt.escape, "nfc": opt.nfc}
            values = (
                {"text": styled_text(r.text, **shape), **words_json(r, opt.confidence)}
                for r in docs
            )
        _append_jsonl(parts, ok, values, objects, texts, opt, surrogates_possible)
    else:  # conllu
        docs = seg.pipe(texts, batch_size=n, sentences=True, tags=opt.tags, parse=opt.parse)
        for k, (good, doc) in enumerate(zip(ok, docs)):
            if good:
                parts.append(conllu(doc.sentences or [], texts[k], task.source, first_line + k))
    if whole is None:
        syllables = sum(count_syllables(t) for t in texts)
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


def _append_jsonl(
    parts: list[str],
    ok: list[bool],
    values: Iterable[Any],
    objects: list[dict | None],
    texts: list[str],
    opt: Options,
    surrogates_possible: bool,
) -> None:
    """One JSON line for each good record: its input record (or its text) with the result
    under the output field."""
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


def _tag_segmented(
    seg: Segmenter,
    texts: list[str],
    ok: list[bool],
    ends: list[str],
    objects: list[dict | None],
    opt: Options,
    task: _Task,
    first_line: int,
    parts: list[str],
) -> None:
    """Tag lines that are segmented already (``tieng tag --segmented``), and parse them
    (``tieng parse --segmented``)."""
    docs = tag_segmented(texts, seg.tagger)
    if opt.parse:
        from ..parsing import parse_segmented_docs

        docs = parse_segmented_docs(docs, seg.parser)
    if opt.output_format == "text":
        for good, doc, ending in zip(ok, docs, ends):
            parts.append(((doc.tagged or "") if good else "") + ending)
    elif opt.output_format == "jsonl":
        surrogates_possible = opt.input_format == "jsonl" or opt.errors == "surrogateescape"
        values: Iterable[Any] = (
            doc.tagged if opt.text_only else {"text": doc.text, **words_json(doc)} for doc in docs
        )
        _append_jsonl(parts, ok, values, objects, texts, opt, surrogates_possible)
    else:
        for k, (good, doc) in enumerate(zip(ok, docs)):
            if good:
                sentences = [doc.words] if doc.words else []
                parts.append(
                    conllu(sentences, texts[k], task.source, first_line + k, segmented=True)
                )


def _text_parts(
    parts: list[str],
    ok: list[bool],
    results: Iterable[str],
    ends: list[str],
    texts: list[str],
    after_cr: bool,
) -> None:
    """The text output of a chunk's lines: each line's result and its line end.  A line of
    white space after a lone "\r" gives no words; written as nothing, its "\r" and the "\n"
    after it would read as one "\r\n", two line ends as one: it is written as one space (as
    a text's lines are, ``engine.batch.text_pieces``)."""
    for good, res, ending, text in zip(ok, results, ends, texts):
        out = res if good else ""
        if after_cr and not out and text and SPACE_CHARS.issuperset(text):
            out = " "
        parts.append(out + ending)
        after_cr = ending == "\r"


def _line_end_from(f: BinaryIO, pos: int, limit: int, cr: bool) -> int | None:
    """Where the line that byte ``pos`` of the (seekable) file is in ends: just past its
    ``\n`` (or, with ``cr``, its lone ``\r`` or ``\r\n``), or at the end of the file; None
    when that is more than ``limit`` bytes on."""
    f.seek(pos)
    got = b""
    while True:
        block = f.read(1 << 16)
        if not block:
            return pos + len(got)
        got += block
        n = got.find(b"\n")
        r = got.find(b"\r", 0, n if n >= 0 else len(got)) if cr else -1
        if r >= 0 and r + 1 < len(got):  # a "\r" first, and the byte after it is known
            return pos + r + (2 if got[r + 1 : r + 2] == b"\n" else 1)
        if n >= 0 and r < 0:
            return pos + n + 1
        if len(got) > limit + 1:
            return None


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
    cr = task.options.input_format == "text"  # (a lone "\r" ends a line of text)
    ends = (b"\n", b"\r") if cr else (b"\n",)
    if (
        (st.st_size, st.st_mtime_ns, st.st_ino) != stamp
        or len(data) != length
        or before not in ends
        or not (data.endswith(ends) or start + length == stamp[0])
    ):
        raise CorpusError(f"{task.source}: the file changed while it was being read")
    return replace(task, data=data, reread=None, after_cr=start > 0 and before == b"\r")


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
                        write_all(self.fd, data)
                        self.newline.value = data.endswith(b"\n")
                    if task.newline_after and not self.newline.value:
                        write_all(self.fd, b"\n")  # the next input starts on a new line
                        self.newline.value = True
            except OSError as e:  # no room left, say
                raise CorpusError(f"{self.path}: cannot write ({e.strerror})") from None
            finally:
                self.turn.value = task.seq + 1  # even after an error: the run stops anyway
                self.cond.notify_all()


def _setup_appender(seg: Segmenter, path: str, turn, newline, cond) -> _Appender:
    return _Appender(seg, path, turn, newline, cond)


def _process_and_append(appender: _Appender, task: _Task) -> _Result:
    """:func:`_process`, then the output appended to the shared file in task order."""
    result = _process(appender.seg, task)
    appender.append(task, result.data)
    result.data = b""
    return result


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
    decompress: bool = False,
    max_line: int = MAX_LINE_BYTES,
) -> Summary:
    """Segment ``inputs`` (from :func:`find_inputs`) and write the results.

    An output whose name ends in ``.gz``, ``.bz2``, ``.xz`` (or ``.zst``) is written
    compressed.  With ``output_dir``, every input file gets its own output file at the same
    relative path, compressed as the input was (``decompress``: plain, its compression
    suffix dropped); otherwise everything goes to ``output`` (a file) or,
    when that is ``None``, to standard output.  ``resume`` skips inputs whose output file is
    already complete.  Outputs appear under their final names only when complete; an output
    with failed records is removed, unless ``keep_failed`` (the failures are kept elsewhere,
    e.g. in an errors file).
    """
    summary = Summary()
    targets = _targets(inputs, output, output_dir, decompress)
    todo = [
        i
        for i, t in enumerate(targets)
        if not (resume and output_dir is not None and t is not None and Path(t).exists())
    ]
    summary.skipped_files = len(inputs) - len(todo)
    if resume and output_dir is None and output is not None and Path(output).exists():
        summary.skipped_files = len(inputs)
        return summary
    plan = _Plan(inputs, targets, todo, output, output_dir is None, jobs, options, max_line)
    writer = _Writer(plan, summary, keep_failed, on_progress, on_error)
    try:
        writer.write_all(plan.results(segmenter))
    finally:
        writer.abandon()
        if plan.spill is not None:
            shutil.rmtree(plan.spill, ignore_errors=True)
    return summary


def _targets(
    inputs: list[tuple[str, str | None]],
    output: str | None,
    output_dir: str | None,
    decompress: bool,
) -> list[str | None]:
    """The output of each input: its mirror in ``output_dir``, or ``output`` (None: stdout).
    Two inputs mirrored to one output (``x.txt`` and ``x.txt.gz`` with ``decompress``, or
    files of the same name in two input directories) are an error: one would be lost."""
    if output_dir is None:
        return [output] * len(inputs)
    targets: list[str | None] = []
    first: dict[str, str] = {}
    for path, rel in inputs:
        name = rel if rel is not None else Path(path).name
        if decompress:
            name = strip_compression(name)
        target = str(Path(output_dir) / name)
        if target in first:
            why = " (--decompress drops the compression suffix)" if decompress else ""
            raise CorpusError(
                f"{first[target]} and {path} would both be written to {target}{why}; "
                "rename one, or segment them apart"
            )
        first[target] = path
        targets.append(target)
    return targets


class _Plan:
    """How a run goes: which inputs, cut into which tasks, done by which workers."""

    def __init__(
        self,
        inputs: list[tuple[str, str | None]],
        targets: list[str | None],
        todo: list[int],
        output: str | None,
        shared: bool,
        jobs: int,
        options: Options,
        max_line: int,
    ) -> None:
        self.inputs, self.targets, self.todo = inputs, targets, todo
        self.output, self.shared = output, shared  # shared: one sink for all inputs
        self.jobs, self.options, self.max_line = jobs, options, max_line
        # With workers and one output file, the workers append to it themselves
        # (``_Appender``); with workers and other outputs, they spill their output to files the
        # main process copies into place.  (Not into a compressed file: its compressor is in
        # this process.)
        self.append = jobs > 1 and shared and output is not None and compression_of(output) is None
        self.spill = spill_directory() if jobs > 1 and not self.append else None
        self._seq = itertools.count()
        # Standard input from a pipe or a terminal may trickle (`tail -f log | tieng segment`):
        # then each chunk's output is written as soon as it is ready.
        self.streaming = any(inputs[i][0] == "-" for i in todo) and not is_regular_file(sys.stdin)
        self.sink: OutputFile | None = None  # the output the workers append to, if they do

    def results(self, segmenter: Segmenter) -> Iterator[_Result]:
        """Every task's result, in input order, from the workers (or this process)."""
        work: Callable[[Any, _Task], _Result] = _process
        setup: Callable[..., Any] = _setup
        setup_args: tuple = (segmenter,)
        if self.append:
            # The shared state first: if it cannot be made, no partial output file is left.
            import multiprocessing  # only here: the rest of a run never needs it

            context = multiprocessing.get_context()
            turn, newline = context.RawValue("q", 0), context.RawValue("b", 1)
            cond = context.Condition()
            self.sink = OutputFile(self.output)  # the workers append to its temporary file
            work, setup = _process_and_append, _setup_appender
            setup_args = (segmenter, self.sink.target, turn, newline, cond)
        tasks: Iterator[_Task] = self.tasks()
        jobs = self.jobs
        if self.streaming and jobs > 1 and len(self.todo) == 1:
            # Standard input alone: its first chunk (which waits for nothing more than a
            # pause) tells whether it ended there, as `echo ... | tieng segment` does: then
            # workers would cost more than they save.
            first = next(tasks)
            if first.last:
                jobs = 1
            tasks = itertools.chain([first], tasks)
        return ordered_map(
            work, tasks, jobs=jobs, setup=setup, setup_args=setup_args, streaming=self.streaming
        )

    def task(self, i, label, line_no, done, data, last, reread=None, after_cr=False) -> _Task:
        newline_after = self.append and last and i != self.todo[-1]
        if reread is not None and data:  # the worker reads the data from the file itself
            reread, data = (reread[0], len(data), reread[1]), b""
        return _Task(
            i, label, line_no, done, data, last, self.options, reread, self.spill,
            next(self._seq), newline_after, after_cr,
        )  # fmt: skip

    def tasks(self) -> Iterator[_Task]:
        """The tasks of every input to do, in order."""
        for i in self.todo:
            path = self.inputs[i][0]
            label = "<stdin>" if path == "-" else path
            f = open_input(path)
            # A plain file is read by the workers rather than sent to them.
            reread = None
            if self.jobs > 1 and path != "-" and type(f) is io.BufferedReader:
                st = os.fstat(f.fileno())
                if stat.S_ISREG(st.st_mode):
                    reread = (path, (st.st_size, st.st_mtime_ns, st.st_ino))
            try:
                if reread is not None and self.options.output_format != "conllu":
                    # Line numbers are then counted by the workers (CoNLL-U writes them).
                    yield from self.by_offsets(i, label, f, *reread)
                elif path == "-" and self.streaming:
                    yield from self.as_it_comes(i, label)
                else:
                    yield from self.by_chunks(i, label, f, path, reread)
            except (OSError, EOFError, lzma.LZMAError) as e:
                raise CorpusError(f"{label}: cannot read ({e or type(e).__name__})") from None
            finally:
                if path != "-":  # standard input stays open (and may be closed: None)
                    f.close()

    def by_offsets(self, i: int, label: str, f: BinaryIO, path: str, stamp) -> Iterator[_Task]:
        """Tasks that say where the chunks of a plain file are, for workers to read them:
        this process reads only where a chunk ends, to find the end of that line."""
        size, start, max_line = stamp[0], 0, self.max_line
        cr = self.options.input_format == "text"  # a lone "\r" ends a line of text
        while start < size:
            end = start + CHUNK_BYTES
            if end < size:
                found = _line_end_from(f, end - 1, max_line, cr)  # of the line byte end-1 is in
                if found is None:
                    raise CorpusError(_too_long(f"{label}, the line at byte {end - 1}", max_line))
                end = found
            end = min(end, size)
            t = self.task(i, label, None, start, b"", end == size)
            t.reread = (path, end - start, stamp)
            yield t
            start = end
        if size == 0:
            yield self.task(i, label, None, 0, b"", True)

    def as_it_comes(self, i: int, label: str) -> Iterator[_Task]:
        """Standard input, each chunk handed on as it arrives, so that its output is written
        before more input comes; the chunk the input ends with (perhaps empty) is the last."""
        reader, ended, line_no, done = stdin_reader(), False, 1, 0
        cr, after_cr = self.options.input_format == "text", False
        while not ended:
            chunk, ended = reader.chunk(CHUNK_BYTES, self.max_line, cr)
            if chunk is None:
                raise CorpusError(_too_long(f"{label}, line {line_no}", self.max_line))
            yield self.task(i, label, line_no, done, chunk, ended, None, after_cr)
            line_no += count_line_ends(chunk, cr)
            done += len(chunk)
            after_cr = cr and chunk.endswith(b"\r")

    def rest_of_line(
        self, f: BinaryIO, data: bytes, cr: bool, label: str, line_no: int, pending
    ) -> tuple[bytes, int]:
        """``data`` (a line with no end yet) and what follows, read until a line end comes
        (or the input ends), and where the last whole line of it ends; a line longer than
        the bound is an error.  Linear: each block is searched once and joined once."""
        parts, size = [data], len(data)
        while True:
            if size > self.max_line:
                n = line_no + count_line_ends(pending or b"", cr)
                raise CorpusError(_too_long(f"{label}, line {n}", self.max_line))
            more = f.read(CHUNK_BYTES)
            if not more:  # the input ends with this line
                whole = b"".join(parts)
                return whole, len(whole)
            after_cr = cr and parts[-1].endswith(b"\r")  # (its next byte has come)
            parts.append(more)
            size += len(more)
            if after_cr or line_end_after(more, False, cr):
                whole = b"".join(parts)
                return whole, line_end_after(whole, False, cr)

    def by_chunks(self, i: int, label: str, f: BinaryIO, path: str, reread) -> Iterator[_Task]:
        """An input read here in chunks of whole lines (cut after the last line end of what
        was read; the rest begins the next chunk).  A plain file must end as it began: one
        cut short or replaced while it was read would otherwise give a short output under
        the final name."""
        line_no, done = 1, 0
        cr = self.options.input_format == "text"  # a lone "\r" ends a line of text
        before = file_stamp(f) if path != "-" else None
        pending: bytes | None = None
        pending_after_cr = False
        carry = b""
        while True:
            block = f.read(CHUNK_BYTES)
            data = carry + block
            if not block:  # the end: what is left is the last line, without a line end
                chunk, carry = data, b""
            else:
                cut = line_end_after(data, False, cr)
                if cut == 0:  # one line longer than a chunk: read on, to its end
                    data, cut = self.rest_of_line(f, data, cr, label, line_no, pending)
                chunk, carry = data[:cut], data[cut:]
            if not chunk:
                break
            if pending is not None:
                yield self.task(i, label, line_no, done, pending, False, reread, pending_after_cr)
                line_no += count_line_ends(pending, cr)
                done += len(pending)
                pending_after_cr = cr and pending.endswith(b"\r")
            pending = chunk
        if before is not None and (
            file_stamp(f, path) != before or done + len(pending or b"") != before[0]
        ):
            raise CorpusError(f"{label}: the file changed while it was being read")
        yield self.task(i, label, line_no, done, pending or b"", True, reread, pending_after_cr)


class _Writer:
    """Where the results of a run go, in order: each output written whole or not at all
    (removed when it has failed records, unless ``keep_failed``), and the summary counted."""

    def __init__(
        self,
        plan: _Plan,
        summary: Summary,
        keep_failed: bool,
        on_progress: Callable[[_Result], None] | None,
        on_error: Callable[[dict], None] | None,
    ) -> None:
        self.plan, self.summary, self.keep_failed = plan, summary, keep_failed
        self.on_progress, self.on_error = on_progress, on_error
        self.sink: OutputFile | None = None
        self.sink_failed = 0
        self.lines_before = 0  # lines of the current input in the results handed out so far

    def write_all(self, results: Iterable[_Result]) -> None:
        plan = self.plan
        for res in results:
            if self.sink is None:
                self.sink = plan.sink or OutputFile(
                    plan.output if plan.shared else plan.targets[res.file]
                )
            self.write(res)
            self.count(res)
            if res.last and not plan.shared:
                self.close()
        if self.sink is None and plan.shared:
            self.sink = plan.sink or OutputFile(plan.output)  # no input: still an empty file
        if self.sink is not None:
            self.close()

    def write(self, res: _Result) -> None:
        sink, plan = self.sink, self.plan
        assert sink is not None
        if res.spilled is not None:
            sink.write_file(*res.spilled)
        elif res.data:
            sink.write(res.data)
        if (
            not plan.append
            and plan.shared
            and res.last
            and res.file != plan.todo[-1]
            and not sink.newline
        ):
            sink.write(b"\n")  # the next input starts on a line of its own

    def count(self, res: _Result) -> None:
        summary = self.summary
        summary.records += res.records
        summary.syllables += res.syllables
        summary.bytes += res.nbytes
        summary.failed += len(res.errors)
        self.sink_failed += len(res.errors)
        if res.lines_relative:
            for err in res.errors:
                err["line"] += self.lines_before
        self.lines_before = 0 if res.last else self.lines_before + res.records
        for err in res.errors:
            if len(summary.errors) < 20:
                summary.errors.append(err)
            if self.on_error is not None:
                self.on_error(err)
        if self.on_progress is not None:
            self.on_progress(res)

    def close(self) -> None:
        """The current output, finished (or removed, when it has failed records)."""
        sink = self.sink
        assert sink is not None
        self.sink, self.plan.sink = None, None
        if self.sink_failed and not self.keep_failed:
            sink.abandon()
        else:
            sink.finish()
        self.sink_failed = 0

    def abandon(self) -> None:
        """After an error: the output being written is removed, not published."""
        sink = self.sink or self.plan.sink
        self.sink = self.plan.sink = None
        if sink is not None:
            sink.abandon()
