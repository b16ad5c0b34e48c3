"""``tieng segment`` and ``tieng tag``: text, files and directories in, words (and tags) out."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..normalization import UNACCENTED, looks_unaccented
from ..pool import WorkerDied, available_cores
from ..segmentation import UNACCENTED_MODEL
from ..training.corpora import looks_segmented
from .common import (
    InputError,
    _head,
    _sample,
    _segmenter,
    segment_options,
)

if TYPE_CHECKING:
    from ..corpus.runner import Options, Summary
    from ..segmentation import Segmenter

_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_JSONL_ONLY = ("--field", "--output-field")  # they name fields of JSONL input records


def _input_format(args: argparse.Namespace, paths: list[str]) -> str:
    """The input format: as given, else JSONL when --field or --output-field is used or
    every input file is named ``*.jsonl`` / ``*.ndjson`` (compressed too), else text."""
    used = [
        flag
        for flag, on in zip(_JSONL_ONLY, (args.field is not None, args.output_field is not None))
        if on
    ]
    if args.format == "text" and used:
        raise InputError(
            f"{used[0]} names a field of JSON lines, but --format text was given; use "
            f"--format jsonl (or leave --format out: {used[0]} implies it)"
        )
    if args.format is not None:
        return args.format
    named = [p for p in paths if p != "-"]
    jsonl = [p for p in named if _strip_suffixes(p).endswith(_JSONL_SUFFIXES)]
    if used or (named and len(jsonl) == len(named)):
        return "jsonl"
    if jsonl:
        raise InputError(
            f"{jsonl[0]} looks like JSON lines but other inputs do not; "
            "say which with --format jsonl or --format text"
        )
    return "text"


def _strip_suffixes(path: str) -> str:
    low = path.lower()
    for ext in (".gz", ".bz2", ".xz"):
        if low.endswith(ext):
            return low[: -len(ext)]
    return low


def _check_not_own_input(
    inputs: list[tuple[str, str | None]],
    output: str | None,
    ok: bool,
    errors_to: str | None = None,
) -> None:
    """An output file that is one of the inputs is an error, unless ``--in-place``; the
    file of failed records may be neither an input nor the output."""

    def same(a: str, b: str) -> bool:
        """The same file (device and inode), "-" standing for standard input."""
        try:
            if a == "-":
                if sys.stdin is None:
                    return False
                here, there = os.fstat(sys.stdin.fileno()), os.stat(b)
                return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)
            return os.path.samefile(a, b)
        except (OSError, ValueError):  # (no such file yet; stdin without a descriptor)
            return False

    if errors_to not in (None, "-"):
        for path, _ in inputs:
            if same(path, errors_to):
                raise InputError(
                    f"{errors_to}: is also an input; --errors-to would empty the text being "
                    "read (name another file)"
                )
        from ..files import FileError, resolved

        try:
            one = output not in (None, "-") and (
                same(output, errors_to) or resolved(output) == resolved(errors_to)
            )
        except FileError as e:
            raise InputError(str(e)) from None
        if one:
            raise InputError(f"{errors_to}: is also the output (name another file)")
    if output in (None, "-") or ok or not Path(output).is_file():
        return
    for path, _ in inputs:
        if same(path, output):
            raise InputError(
                f"{output}: is also an input; writing it would replace the text being read "
                "(write elsewhere, or pass --in-place to replace it when the run is complete)"
            )


def cmd_segment(args: argparse.Namespace) -> int:
    from ..corpus import runner as corpus
    from ..files import FileError

    inputs, mirror = _inputs(args)
    input_format = _input_format(args, [path for path, _ in inputs])
    try:
        options = corpus.Options(
            input_format=input_format,
            field=args.field or "text",
            output_format=args.to or ("jsonl" if input_format == "jsonl" else "text"),
            output_field=args.output_field or "tieng",
            sentence_lines=getattr(args, "sentences", False),
            errors=args.errors,
            confidence=getattr(args, "confidence", False),
            text_only=getattr(args, "text_only", False),
            tags=getattr(args, "tags", False),
            segmented=getattr(args, "segmented", False),
            escape=not getattr(args, "no_escape", False),
            nfc=getattr(args, "nfc", False),
            restore=getattr(args, "restore", False),
            task=args.command if args.command == "restore" else "segment",
            parse=args.command == "parse",
        )
    except ValueError as e:
        raise InputError(str(e)) from None
    seg = _segmenter(args)
    if not args.quiet and inputs:
        _warn_about(inputs[0][0], seg, options)
    jobs = args.jobs if args.jobs > 0 else available_cores()
    errors = _ErrorReport(args.errors_to)
    # No bar when the output goes to the same terminal: the two would interleave.
    bar = _progress_bar(inputs, quiet=args.quiet or (args.output is None and _stdout_is_tty()))
    syllables = [0]

    def on_progress(res) -> None:
        bar.update(res.nbytes)
        syllables[0] += res.syllables
        elapsed = bar.format_dict["elapsed"] or 1e-9
        bar.set_postfix_str(f"{syllables[0] / elapsed:,.0f} syllables/s", refresh=False)

    complete = False
    try:
        summary = corpus.run(
            inputs,
            seg,
            options,
            output=None if mirror else args.output,
            output_dir=args.output if mirror else None,
            jobs=jobs,
            resume=args.resume,
            decompress=args.decompress,
            max_line=args.max_line_bytes,
            keep_failed=bool(args.errors_to),
            on_progress=on_progress if bar is not None else None,
            on_error=errors.add,
        )
        complete = True
    except FileError as e:
        raise InputError(str(e)) from None
    except WorkerDied as e:
        again = " with --resume" if mirror else ""
        raise InputError(
            f"{e}; nothing unfinished was written: run the same command again{again} to finish"
        ) from None
    finally:
        if bar is not None:
            bar.close()
        errors.close(complete)
    if summary.failed:
        field_given = args.field is not None or args.output_field is not None
        print(
            _failures(summary, args, input_format == "jsonl" and not field_given), file=sys.stderr
        )
        return 2
    return 0


def _inputs(args: argparse.Namespace) -> tuple[list[tuple[str, str | None]], bool]:
    """The input files (and their paths relative to a directory given), and whether a
    directory is mirrored into ``-o``; every check of inputs and outputs made before any work."""
    from ..corpus import runner as corpus
    from ..files import FileError, check_encoding

    names = args.files or ["-"]
    mirror = any(n != "-" and Path(n).is_dir() for n in names)
    if not mirror and args.output and args.output.endswith(("/", os.sep)):
        raise InputError(
            f"{args.output}: ends with '/', a directory, but the output of file inputs is one "
            "file; name the file (a directory output is for directory inputs)"
        )
    if mirror and not args.output:
        raise InputError("a directory input needs -o/--output DIR to mirror it into")
    if mirror and Path(args.output).is_file():
        raise InputError(f"{args.output}: is a file; a directory input needs an output directory")
    try:
        # An output directory inside an input directory is not input: a second run (or
        # --resume) would segment its own output again.
        inputs = corpus.find_inputs(names, args.glob, exclude=args.output if mirror else None)
    except FileError as e:
        raise InputError(str(e)) from None
    _check_not_own_input(inputs, args.output, args.in_place, args.errors_to)
    if not inputs:
        matched = f" matching --glob {args.glob!r}" if args.glob != "*" else ""
        raise InputError(f"no input file{matched} in {', '.join(names)}: nothing to do")
    if args.max_line_bytes < 1 << 20:
        raise InputError("--max-line-bytes must be at least 1048576 (1 MiB)")
    if any(path == "-" for path, _ in inputs) and sys.stdin is not None:
        try:
            check_encoding(_head("-")[:4], "<stdin>")
        except FileError as e:
            raise InputError(str(e)) from None
    return inputs, mirror


def _warn_about(first: str, seg: Segmenter, options: Options) -> None:
    """A word on stderr when the first input looks typed without diacritics (and the model or
    the tagger needs them), or segmented already."""
    sample = _sample(first)
    if not sample:
        return
    where = first if first != "-" else "the input"
    if options.task == "restore":
        return
    if looks_unaccented(sample):
        reads_bare = seg.model.spec.key_version >= UNACCENTED
        if seg.routing or reads_bare:
            # Named once: which models read it (the API and the service name it per result);
            # a model given by name needs no naming, the restorer behind its tags does.
            how = [f"words by {UNACCENTED_MODEL}"] if seg.routing else []
            if options.tags:
                how.append(f"tags from the text restored by {seg.restorer.name}")
            if how:
                print(
                    f"tieng: {where} looks typed without diacritics: {', '.join(how)}",
                    file=sys.stderr,
                )
        else:
            advice = (
                "this model and the tagger need them; leave out --model (text without "
                "diacritics then goes to vlsp2013-unaccented, and its tags are read from the "
                "text restored)"
                if options.tags
                else "this model needs them; try --model vlsp2013-unaccented"
            )
            print(f"tieng: {where} looks typed without diacritics; {advice}", file=sys.stderr)
    if not options.segmented and looks_segmented(sample):
        advice = (
            "to tag its words as they are, use tieng tag --segmented"
            if options.tags
            else "segmenting it again joins words wrongly (to tag its words, use tieng tag "
            "--segmented; to segment raw text, give the text before segmentation)"
        )
        print(
            f"tieng: {where} looks segmented already (syllables joined by '_'); {advice}",
            file=sys.stderr,
        )


class _ErrorReport:
    """The failed records: the first ten on stderr, all of them in ``--errors-to`` FILE,
    which is written as the outputs are (under a temporary name, locked, synced and renamed
    when the run ends: never emptied before, never left half written)."""

    def __init__(self, path: str | None) -> None:
        from ..files import FileError, OutputFile

        self.path, self.shown = path, 0
        try:
            self.file = OutputFile(path) if path else None
        except FileError as e:
            raise InputError(str(e)) from None

    def add(self, err: dict) -> None:
        from ..files import FileError

        if self.shown < 10:
            print(f"tieng: {err['source']}, line {err['line']}: {err['error']}", file=sys.stderr)
        self.shown += 1
        if self.file is not None:
            try:
                self.file.write((json.dumps(err, ensure_ascii=False) + "\n").encode("utf-8"))
            except FileError as e:  # no room left, say: named now
                raise InputError(_of_records(e)) from None

    def close(self, complete: bool) -> None:
        """Publish the file (``complete``: the run ended), or remove what was written."""
        from ..files import FileError

        file, self.file = self.file, None
        if file is None:
            return
        if not complete:
            file.abandon()
            return
        try:
            file.finish()
        except FileError as e:
            raise InputError(_of_records(e)) from None


def _of_records(e: Exception) -> str:
    """A write error of the errors file, said as such."""
    return str(e).replace(": cannot write (", ": cannot write the failed records (", 1)


def _failures(summary: Summary, args: argparse.Namespace, maybe_plain_text: bool) -> str:
    """What the run says of its failed records, and where they are."""
    more = f" ({summary.failed - 10} more not shown)" if summary.failed > 10 else ""
    if args.errors_to:
        where = f"; all listed in {args.errors_to}"
    elif args.output is None and summary.failed >= summary.records:
        where = "; no record was written (use --errors-to FILE to collect the failures)"
    elif args.output is None:  # standard output cannot be taken back
        where = (
            "; the other records went to standard output (use --errors-to FILE to "
            "collect the failures)"
        )
    else:
        where = (
            "; outputs holding them were not written (use --errors-to FILE to keep "
            "the rest and collect the failures)"
        )
    if maybe_plain_text and summary.failed >= summary.records:
        where += "; if the input is plain text, give --format text"
    return f"tieng: {summary.failed} of {summary.records} records failed{more}{where}"


def cmd_parse(args: argparse.Namespace) -> int:
    if args.to is None and args.format != "jsonl":
        args.to = "conllu"
    return cmd_tag(args)


def cmd_tag(args: argparse.Namespace) -> int:
    if args.segmented:
        for flag, on in (
            ("--sentences", args.sentences),
            ("--pretokenized", args.pretokenized),
            ("--confidence", args.confidence),
            ("--user-dict", args.user_dict),
            ("--never-join", args.never_join),
            ("--known-words", args.known_words),
            ("--model", args.model),
        ):
            if on:
                raise InputError(
                    f"{flag} is about segmenting, but --segmented input is segmented already"
                )
    args.tags = True
    return cmd_segment(args)


def _stdout_is_tty() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (ValueError, OSError):  # closed
        return False


def _progress_bar(inputs: list[tuple[str, str | None]], quiet: bool):
    """A tqdm bar on standard error when it is a terminal, else None."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    total: int | None = 0
    for path, _ in inputs:
        if path == "-" or Path(path).suffix.lower() in (".gz", ".bz2", ".xz"):
            total = None  # sizes on disk do not say how much text there is
            break
        total = (total or 0) + Path(path).stat().st_size
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr)


def register(sub) -> None:
    """Add this module's commands to ``sub``, the subparsers of ``tieng``."""
    sp = sub.add_parser(
        "segment",
        help="segment text into words (VLSP format)",
        description="Segment text into words: one output line per input line, words separated "
        "by spaces, the syllables of a word joined by _ (Thành_phố sẽ đầu_tư .). Files, "
        "directories (mirrored into -o DIR), standard input; plain text or JSON lines; .gz, "
        ".bz2, .xz read and written. Text typed without diacritics goes to the model made for "
        "it unless --model names one.",
    )
    segment_options(sp, tagging=False)
    sp.set_defaults(func=cmd_segment)

    sp = sub.add_parser(
        "tag",
        help="segment text and tag each word's part of speech (word/TAG)",
        description="Segment text into words and tag each with its part of speech (VLSP 2013 "
        "tags: N noun, Np proper noun, V verb, A adjective, P pronoun, R adverb, E "
        "preposition, C and Cc conjunctions, M numeral, L determiner, CH punctuation, ...). "
        "Text output: each word followed by /TAG (Hà_Nội/Np có/V hồ/N ./CH); --to jsonl adds "
        '"tags" to the words and offsets; --to conllu fills XPOS with the VLSP tag and UPOS '
        "with its Universal POS tag (the mapping is tieng.tagging.UPOS).",
    )
    segment_options(sp, tagging=True)
    sp.set_defaults(func=cmd_tag)

    sp = sub.add_parser(
        "restore",
        help="restore the diacritics of text typed without them",
        description="Restore the tone marks and vowel marks of text typed without them "
        "(Thanh pho -> Thành phố): one output line per input line, of the same length, only "
        "letters of syllables in plain ASCII changed; numbers, URLs, e-mail addresses, words "
        "the model does not know and syllables with marks stay as written. Files, directories "
        "(mirrored into -o DIR), standard input; plain text or JSON lines (the restored text "
        "goes under --output-field); .gz, .bz2, .xz read and written.",
    )
    segment_options(sp, tagging=False, restoring=True)
    sp.set_defaults(func=cmd_segment)

    sp = sub.add_parser(
        "parse",
        help="parse text into dependency trees (CoNLL-U)",
        description="Segment, tag and parse text: each word's head and relation in its "
        "sentence (Universal Dependencies, as the UD Vietnamese-VTB treebank writes them). "
        "CoNLL-U by default (all ten columns: FORM as the treebank writes a multi-syllable "
        "word, XPOS the VLSP tag, SpaceAfter=No and the word's offsets in MISC; # sent_id, "
        "# text); --to jsonl adds heads and deprels to the words. --segmented for given "
        "words (one sentence a line), --pretokenized for given tokens.",
    )
    segment_options(sp, tagging=True)
    sp.add_argument(
        "--parser", metavar="FILE", help="parser model file (default: the bundled vtb-parser)"
    )
    sp.set_defaults(func=cmd_parse)
