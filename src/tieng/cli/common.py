"""What the commands of ``tieng`` share: errors, reading input, the segmenter from the
options, and the option groups."""

from __future__ import annotations

import argparse
import io
import lzma
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TypeVar, cast

from .._accel import describe as describe_code
from .._accel import not_built
from ..corpus.records import BOM, MAX_LINE_BYTES, decode, split_line_end, text_lines
from ..dictionary import DictionaryError, UserDictionary
from ..files import line_end_after
from ..segmentation import Segmenter

T = TypeVar("T")

_MODEL_HELP = (
    "model file, or the name of a bundled model: vlsp2013 (the default) or "
    "vlsp2013-unaccented (also reads text typed without diacritics)"
)


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (one per core) or more, not {n}")
    return n


class InputError(Exception):
    """Input that cannot be read: the message names the file and line."""


def _open_input(name: str) -> BinaryIO:
    """An input as ``tieng segment`` opens it ("-" is standard input; .gz, .bz2 and .xz are
    decompressed); a file that cannot be opened is an :class:`InputError`."""
    from ..files import FileError, open_input

    try:
        return open_input(name)
    except FileError as e:
        raise InputError(str(e)) from None


def read_lines(names: Iterable[str], max_line: int | None = None) -> Iterator[tuple[str, str]]:
    """Decoded lines of the named files ("-" is standard input) as (body, line ending).

    A UTF-8 byte-order mark at the start of a file is dropped; invalid UTF-8 raises
    :class:`InputError` naming the file, the line and the byte offset in the file, and so
    does a line longer than ``max_line`` bytes (default 64 MiB: a line is held whole, and
    memory stays bounded).
    """
    max_line = max_line or MAX_LINE_BYTES
    for name in names:
        label = "<stdin>" if name == "-" else name
        f = _open_input(name)
        try:
            offset, lineno = 0, 0
            for raw in _raw_lines(f, max_line):
                lineno += 1
                if len(raw) > max_line and not raw.endswith((b"\n", b"\r")):
                    raise InputError(
                        f"{label}, line {lineno}: a line longer than {max_line:,} bytes (no "
                        "line end); tieng holds a line whole"
                    )
                if lineno == 1 and raw.startswith(BOM):
                    raw = raw[3:]
                    offset += 3
                raw_body, end = split_line_end(raw)  # as tieng segment reads its lines
                body, fail = decode(raw_body, offset)
                if fail is not None:
                    raise InputError(f"{label}, line {lineno}: {fail}")
                offset += len(raw)
                yield body, end.decode("ascii")
        except (OSError, EOFError, lzma.LZMAError) as e:  # a damaged compressed file, say
            raise InputError(f"{label}: cannot read ({e})") from None
        finally:
            if name != "-":
                f.close()


def _raw_lines(f: BinaryIO, max_line: int) -> Iterator[bytes]:
    r"""The lines of a binary stream with their line ends ("\r\n", "\n", or a lone "\r", as
    in an old Mac file), read as they arrive; a line longer than ``max_line`` bytes comes out
    cut there, without a line end, for the caller to refuse."""
    read = getattr(f, "read1", f.read)  # (what has arrived: a pipe is read line by line)
    carry = b""
    while block := read(1 << 16):
        data = carry + block
        cut = line_end_after(data, False, True)
        yield from text_lines(data[:cut])
        carry = data[cut:]
        if len(carry) > max_line:
            yield carry[: max_line + 1]
            return
    if carry:
        yield carry


def _transform_lines(
    names: list[str],
    output: str | None,
    fn: Callable[[list[str]], Iterable[str]],
    batch: int = 1024,
) -> None:
    """``fn`` over batches of the lines of ``names`` (line endings kept), written to
    ``output`` (None or "-": standard output) as ``tieng segment`` writes: whole or not at
    all, and devices or named pipes directly."""
    from ..files import FileError, OutputFile

    try:
        sink = OutputFile(None if output in (None, "-") else output)
    except FileError as e:
        raise InputError(str(e)) from None
    lines = read_lines(names or ["-"])
    try:
        while chunk := list(islice(lines, batch)):
            results = fn([body for body, _ in chunk])
            sink.write("".join(r + end for r, (_, end) in zip(results, chunk)).encode("utf-8"))
        sink.finish()
    except FileError as e:
        sink.abandon()
        raise InputError(str(e)) from None
    except BaseException:
        sink.abandon()
        raise


def _dictionary(args: argparse.Namespace) -> UserDictionary | None:
    words, never = getattr(args, "user_dict", None), getattr(args, "never_join", None)
    known = getattr(args, "known_words", None)
    if not words and not never and not known:
        return None
    try:
        return UserDictionary.read(words, never, known)
    except DictionaryError as e:
        raise InputError(str(e)) from None


def _segmenter(args: argparse.Namespace) -> Segmenter:
    try:
        seg = Segmenter(
            getattr(args, "model", None),
            pretokenized=getattr(args, "pretokenized", False),
            dictionary=_dictionary(args),
            tagger=getattr(args, "tagger", None),
            restorer=getattr(args, "restorer", None),
            parser=getattr(args, "parser", None),
        )
    except DictionaryError as e:  # entries that clash once diacritics are ignored
        raise InputError(str(e)) from None
    if not_built() and not getattr(args, "quiet", False):
        print(f"tieng: {describe_code()}", file=sys.stderr)
    if seg.dictionary is not None and seg.dictionary.known and not getattr(args, "quiet", False):
        status = Counter(seg.model.lexicon_status(seg.dictionary.known_syllables()))
        print(
            f"tieng: {args.known_words}: {status['new']} "
            f"word{'s' if status['new'] != 1 else ''} new to the model, "
            f"{status['known']} known already, {status['unusable']} left out (one syllable, "
            f"more than {seg.model.spec.max_word} syllables, or a syllable the model has "
            "never seen)",
            file=sys.stderr,
        )
    return seg


_SAMPLE_BYTES = 1 << 16


def _head(path: str) -> bytes:
    """The first 64 KB of an input, or what standard input holds so far; never consumed."""
    try:
        if path == "-":
            from ..files import is_regular_file, stdin_reader

            if is_regular_file(sys.stdin):
                stdin = cast(io.BufferedReader, sys.stdin.buffer)
                return stdin.peek(_SAMPLE_BYTES)[:_SAMPLE_BYTES]
            # a pipe or terminal: through the reader the run will read it with
            return stdin_reader().peek(_SAMPLE_BYTES)
        from ..files import open_input

        with open_input(path) as f:
            return f.read(_SAMPLE_BYTES)
    except Exception:  # the real run reports unreadable input, with its own message
        return b""


def _sample(path: str) -> str:
    """The start of an input as text (see :func:`_head`)."""
    return _head(path).decode("utf-8", errors="ignore")


def _writes_stdout(args: argparse.Namespace) -> bool:
    """Whether the command writes its results to standard output."""
    if args.command in ("info", "evaluate"):
        return True
    if args.command in ("segment", "tag", "parse", "restore", "tokenize", "normalize"):
        return args.output in (None, "-")
    return False


def _sha256(path: str | Path) -> str:
    import hashlib  # here: loading OpenSSL costs every other command a few ms

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def io_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="input files, one text per line (default: standard input)",
    )
    sp.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write here (default: standard output); written whole or not at all",
    )


def dictionary_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--user-dict",
        metavar="FILE",
        help="words always joined where they occur: one a line, syllables separated by "
        "spaces or _ (case and tone placement ignored; longest match wins)",
    )
    sp.add_argument(
        "--never-join",
        metavar="FILE",
        help="sequences whose syllables are never joined to one another, one a line",
    )
    sp.add_argument(
        "--known-words",
        metavar="FILE",
        help="words the model should know, one a line: hints it weighs in context, not "
        "rules (unlike --user-dict); for terms its training data lacked",
    )


def segment_options(sp: argparse.ArgumentParser, tagging: bool, restoring: bool = False) -> None:
    """The options of ``tieng segment`` (``tag`` with ``tagging``; ``restore``, which shares
    the inputs and outputs but not the words, with ``restoring``)."""
    io_args(sp)
    if restoring:
        sp.add_argument(
            "--restorer",
            metavar="FILE",
            help="restorer model file (default: the bundled viwiki-restorer)",
        )
    else:
        _word_options(sp, tagging)
    _run_options(sp, restoring)


def _word_options(sp: argparse.ArgumentParser, tagging: bool) -> None:
    sp.add_argument("--model", metavar="FILE", help=_MODEL_HELP)
    sp.add_argument(
        "--pretokenized",
        action="store_true",
        help="input is tokenized already: split on white space only",
    )
    dictionary_args(sp)
    sp.add_argument(
        "--sentences",
        action="store_true",
        help="split into sentences: one sentence per line (in JSONL the text does so, and "
        '"sentences" gives each as [first word, one past its last])',
    )
    sp.add_argument(
        "--restore",
        action="store_true",
        help='JSONL output: add "restored", the text with the diacritics it was typed '
        "without restored (the words keep pointing at the text as written)",
    )
    if tagging:
        sp.add_argument(
            "--segmented",
            action="store_true",
            help="input is segmented already (gold or another segmenter's words): words "
            "separated by white space, the syllables of a word joined by _; each line is "
            "one sentence",
        )
        sp.add_argument(
            "--tagger",
            metavar="FILE",
            help="tagger model file (default: the bundled vlsp2013-pos)",
        )
    sp.add_argument(
        "--confidence",
        action="store_true",
        help="JSONL output: add a calibrated confidence (0-1) for each word",
    )
    sp.add_argument(
        "--text-only",
        action="store_true",
        help="JSONL output: the result is the underscore text alone (a string), without "
        "words and offsets; several times faster",
    )
    sp.add_argument(
        "--no-escape",
        action="store_true",
        help="write a _ or \\ inside a token as it is (bao_cao.docx, not bao\\_cao.docx), as "
        "PhoBERT's input wants; the output then no longer reads back exactly",
    )
    sp.add_argument(
        "--nfc",
        action="store_true",
        help="write the underscore text in Unicode NFC, as PhoBERT's vocabulary is",
    )


def _run_options(sp: argparse.ArgumentParser, restoring: bool) -> None:
    sp.add_argument(
        "--glob", default="*", help="files to take from directory inputs (default: all)"
    )
    sp.add_argument(
        "--format",
        choices=["text", "jsonl"],
        default=None,
        help="input: text (one document a line) or JSON lines (default: JSON lines for "
        "*.jsonl and *.ndjson files, compressed too, or when --field or --output-field "
        "is given; text otherwise)",
    )
    sp.add_argument(
        "--field", default=None, help="JSONL input: field holding the text (default: text)"
    )
    sp.add_argument(
        "--to",
        choices=["text", "jsonl"] if restoring else ["text", "jsonl", "conllu"],
        help="output: the restored text, or JSON lines with it under the output field "
        "(default: text for text input, jsonl for JSONL input)"
        if restoring
        else "output: underscore text, JSON lines with words and offsets, or CoNLL-U "
        "(default: text for text input, jsonl for JSONL input)",
    )
    sp.add_argument(
        "--output-field",
        default=None,
        help="JSONL output: field for the result (default: tieng; the input field's name "
        "replaces it)",
    )
    sp.add_argument(
        "-j",
        "--jobs",
        type=_non_negative,
        default=0,
        help="worker processes (default: one per available core)",
    )
    sp.add_argument(
        "--errors",
        choices=["strict", "replace", "surrogateescape"],
        default="strict",
        help="invalid UTF-8: strict (the line fails and is reported), replace (U+FFFD), "
        "surrogateescape (bytes pass through unchanged)",
    )
    sp.add_argument("--errors-to", metavar="FILE", help="write failed records here (JSON lines)")
    sp.add_argument(
        "--resume", action="store_true", help="skip inputs whose output is already complete"
    )
    sp.add_argument(
        "--max-line-bytes",
        type=int,
        default=64 << 20,
        metavar="N",
        help="a longer line is an error, so memory stays bounded (default: 64 MiB; at least 1 MiB)",
    )
    sp.add_argument(
        "--decompress",
        action="store_true",
        help="mirroring a directory: write plain text, not compressed as each input is "
        "(a.txt.gz -> a.txt)",
    )
    sp.add_argument(
        "--in-place",
        action="store_true",
        help="allow -o to name an input file: it is replaced once the run is complete",
    )
    sp.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar, no notes on stderr"
    )
