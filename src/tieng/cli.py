"""The ``tieng`` command line."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import lzma
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar, cast

from . import __version__
from ._accel import describe as describe_code
from ._accel import keep_freed_memory, not_built
from .annotation import looks_segmented
from .dictionary import DictionaryError, UserDictionary
from .model import ModelError
from .normalization import KEY_VERSION, UNACCENTED, looks_unaccented, normalize
from .pool import available_cores
from .records import BOM, decode, split_line_end
from .segmentation import BUNDLED_MODELS, Segmenter
from .tokenization import tokenize

if TYPE_CHECKING:
    from .evaluation import TagScores

T = TypeVar("T")

_MODEL_HELP = (
    "model file, or the name of a bundled model: vlsp2013 (the default) or "
    "vlsp2013-unaccented (also reads text typed without diacritics)"
)

_EXAMPLES = """\
examples:
  echo "Thành phố sẽ đầu tư xây dựng tàu điện ngầm." | tieng segment
  tieng segment news.txt -o news.seg.txt
  tieng segment --sentences news.txt        one sentence per line
  tieng segment --model vlsp2013-unaccented chat.txt   text typed without diacritics
  tieng tag news.txt                        words with their part of speech (Hà_Nội/Np)
  tieng evaluate gold.txt predicted.txt
  tieng train corpus.txt -o my.tieng
"""


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
    from .files import FileError, open_input

    try:
        return open_input(name)
    except FileError as e:
        raise InputError(str(e)) from None


def read_lines(names: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Decoded lines of the named files ("-" is standard input) as (body, line ending).

    A UTF-8 byte-order mark at the start of a file is dropped; invalid UTF-8 raises
    :class:`InputError` naming the file, the line and the byte offset in the file.
    """
    for name in names:
        label = "<stdin>" if name == "-" else name
        f = _open_input(name)
        try:
            offset = 0
            for lineno, raw in enumerate(f, 1):
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


def _transform_lines(
    names: list[str],
    output: str | None,
    fn: Callable[[list[str]], Iterable[str]],
    batch: int = 1024,
) -> None:
    """``fn`` over batches of the lines of ``names`` (line endings kept), written to
    ``output`` (None or "-": standard output) as ``tieng segment`` writes: whole or not at
    all, and devices or named pipes directly."""
    from .files import FileError, OutputFile

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
            args.model,
            pretokenized=getattr(args, "pretokenized", False),
            dictionary=_dictionary(args),
            tagger=getattr(args, "tagger", None),
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
        try:
            return os.path.samefile(a, b)
        except OSError:
            return False

    if errors_to not in (None, "-"):
        for path, _ in inputs:
            if path != "-" and same(path, errors_to):
                raise InputError(
                    f"{errors_to}: is also an input; --errors-to would empty the text being "
                    "read (name another file)"
                )
        if output not in (None, "-") and (
            same(output, errors_to) or Path(output).resolve() == Path(errors_to).resolve()
        ):
            raise InputError(f"{errors_to}: is also the output (name another file)")
    if output in (None, "-") or ok or not Path(output).is_file():
        return
    for path, _ in inputs:
        if path != "-" and same(path, output):
            raise InputError(
                f"{output}: is also an input; writing it would replace the text being read "
                "(write elsewhere, or pass --in-place to replace it when the run is complete)"
            )


def cmd_segment(args: argparse.Namespace) -> int:
    from . import corpus
    from .files import FileError, check_encoding

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
    args.format = _input_format(args, [path for path, _ in inputs])
    args.field_given = args.field is not None or args.output_field is not None
    if args.field is None:
        args.field = "text"
    if args.output_field is None:
        args.output_field = "tieng"
    to = args.to or ("jsonl" if args.format == "jsonl" else "text")
    if args.confidence and to != "jsonl":
        raise InputError("--confidence goes with JSONL output (--to jsonl)")
    if args.text_only and to != "jsonl":
        raise InputError("--text-only goes with JSONL output (--to jsonl)")
    if args.text_only and args.confidence:
        raise InputError("--text-only leaves out the words, so it cannot go with --confidence")
    options = corpus.Options(
        input_format=args.format,
        field=args.field,
        output_format=to,
        output_field=args.output_field,
        sentence_lines=args.sentences,
        errors=args.errors,
        confidence=args.confidence,
        text_only=args.text_only,
        tags=getattr(args, "tags", False),
        segmented=getattr(args, "segmented", False),
    )
    if any(path == "-" for path, _ in inputs) and sys.stdin is not None:
        try:
            check_encoding(_head("-")[:4], "<stdin>")
        except FileError as e:
            raise InputError(str(e)) from None
    seg = _segmenter(args)
    tagging = getattr(args, "tags", False)
    sample = _sample(inputs[0][0]) if not args.quiet and inputs else ""
    # (The default segmenter sends such text to the model made for it: no hint then.)
    if sample and (tagging or (seg.model.spec.key_version < UNACCENTED and not seg.routing)):
        if looks_unaccented(sample):
            where = inputs[0][0] if inputs[0][0] != "-" else "the input"
            advice = (
                "the tagger needs them: most tags of such text are wrong"
                if tagging
                else "this model needs them; try --model vlsp2013-unaccented"
            )
            print(f"tieng: {where} looks typed without diacritics; {advice}", file=sys.stderr)
    if sample and not getattr(args, "segmented", False) and looks_segmented(sample):
        where = inputs[0][0] if inputs[0][0] != "-" else "the input"
        advice = (
            "to tag its words as they are, use tieng tag --segmented"
            if tagging
            else "segmenting it again joins words wrongly (to tag its words, use tieng tag "
            "--segmented; to segment raw text, give the text before segmentation)"
        )
        print(
            f"tieng: {where} looks segmented already (syllables joined by '_'); {advice}",
            file=sys.stderr,
        )
    jobs = args.jobs if args.jobs > 0 else available_cores()
    try:
        error_file = open(args.errors_to, "w", encoding="utf-8") if args.errors_to else None
    except OSError as e:
        raise InputError(f"{args.errors_to}: cannot write ({e.strerror})") from None
    shown = [0]

    def on_error(err: dict) -> None:
        if shown[0] < 10:
            print(f"tieng: {err['source']}, line {err['line']}: {err['error']}", file=sys.stderr)
        shown[0] += 1
        if error_file is not None:
            error_file.write(json.dumps(err, ensure_ascii=False) + "\n")

    # No bar when the output goes to the same terminal: the two would interleave.
    bar = _progress_bar(inputs, quiet=args.quiet or (args.output is None and _stdout_is_tty()))

    def on_progress(res) -> None:
        bar.update(res.nbytes)
        syl[0] += res.syllables
        elapsed = bar.format_dict["elapsed"] or 1e-9
        bar.set_postfix_str(f"{syl[0] / elapsed:,.0f} syllables/s", refresh=False)

    syl = [0]
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
            on_error=on_error,
        )
    except FileError as e:
        raise InputError(str(e)) from None
    finally:
        if bar is not None:
            bar.close()
        if error_file is not None:
            error_file.close()
    if summary.failed:
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
        if args.format == "jsonl" and summary.failed >= summary.records and not args.field_given:
            where += "; if the input is plain text, give --format text"
        print(
            f"tieng: {summary.failed} of {summary.records} records failed{more}{where}",
            file=sys.stderr,
        )
        return 2
    return 0


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


_SAMPLE_BYTES = 1 << 16


def _head(path: str) -> bytes:
    """The first 64 KB of an input, or what standard input holds so far; never consumed."""
    try:
        if path == "-":
            from .files import is_regular_file, stdin_reader

            if is_regular_file(sys.stdin):
                stdin = cast(io.BufferedReader, sys.stdin.buffer)
                return stdin.peek(_SAMPLE_BYTES)[:_SAMPLE_BYTES]
            # a pipe or terminal: through the reader the run will read it with
            return stdin_reader().peek(_SAMPLE_BYTES)
        from .files import open_input

        with open_input(path) as f:
            return f.read(_SAMPLE_BYTES)
    except Exception:  # the real run reports unreadable input, with its own message
        return b""


def _sample(path: str) -> str:
    """The start of an input as text (see :func:`_head`)."""
    return _head(path).decode("utf-8", errors="ignore")


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


def cmd_tokenize(args: argparse.Namespace) -> int:
    _transform_lines(
        args.files, args.output, lambda b: (" ".join(t.text for t in tokenize(x)) for x in b)
    )
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    tone = None if args.tone == "none" else args.tone
    _transform_lines(args.files, args.output, lambda b: (normalize(x, tone) for x in b))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate, evaluate_tags

    if args.task == "pos":
        return _print_tag_scores(_compare(args, evaluate_tags), args.json)
    scores = _compare(args, evaluate)
    if args.json:
        print(json.dumps(scores.__dict__))
    else:
        print(f"precision  {scores.precision:6.2f}")
        print(f"recall     {scores.recall:6.2f}")
        print(f"F1         {scores.f1:6.2f}")
        print(
            f"sentences  {scores.sentence_accuracy:6.2f}  "
            f"(exact match, {scores.sentences} sentences)"
        )
    return 0


def _compare(args: argparse.Namespace, score: Callable[[Iterator[str], Iterator[str]], T]) -> T:
    """``score`` of the non-blank lines of GOLD and PRED, pairwise."""
    gold = (b for b, _ in read_lines([args.gold]) if b.strip())
    pred = (b for b, _ in read_lines([args.predicted]) if b.strip())
    try:
        return score(gold, pred)
    except ValueError as e:
        raise InputError(f"{args.gold} vs {args.predicted}: {e}") from None


def _print_tag_scores(scores: TagScores, as_json: bool) -> int:
    if as_json:
        print(json.dumps(scores.__dict__))
        return 0
    if scores.accuracy is not None:
        print(f"accuracy         {scores.accuracy:6.2f}  (the gold words, {scores.gold_words})")
    else:
        print("accuracy              -  (the words differ from the gold words)")
    print(f"segmentation F1  {scores.segmentation_f1:6.2f}")
    print(f"span+tag P       {scores.precision:6.2f}")
    print(f"span+tag R       {scores.recall:6.2f}")
    print(f"span+tag F1      {scores.f1:6.2f}  (a word counts when its span and tag are right)")
    return 0


def cmd_train_tagger(args: argparse.Namespace) -> int:
    import logging
    import time

    from .tagger_training import accuracy, read_tagged, train_tagger
    from .tagging import Tagger
    from .training import read_word_list, split_dev

    out = Path(args.output)
    if out.is_dir():
        raise InputError(f"{out}: is a directory (the model is a file)")
    where = out.resolve().parent
    if not where.is_dir():
        raise InputError(f"{out}: no such directory {where}")
    if not os.access(where, os.W_OK):
        raise InputError(f"{out}: cannot write in {where}")
    if not 12 <= args.hash_bits <= 24:
        raise InputError("--hash-bits must be between 12 and 24")
    if args.epochs < 1:
        raise InputError("--epochs must be at least 1")
    if not 0 <= args.case_copies <= 1:
        raise InputError("--case-copies must be between 0 and 1")
    if not 1 <= args.runs <= 16:
        raise InputError("--runs must be between 1 and 16")
    sentences = []
    for p in args.corpus:
        try:
            sentences += read_tagged(p, args.format)
        except FileNotFoundError:
            raise InputError(f"{p}: no such file") from None
        except UnicodeDecodeError as e:
            raise InputError(f"{p}: not valid UTF-8 ({e})") from None
        except ValueError as e:
            raise InputError(str(e)) from None
        except OSError as e:
            raise InputError(f"{p}: cannot read ({e.strerror})") from None
    if not sentences:
        raise InputError("the corpus holds no tagged sentences")
    lists: list[list[str]] = []
    list_files = []
    for p in args.lexicon:
        try:
            lists.append([" ".join(w) for w in read_word_list(p)])
            digest = _sha256(p)
        except FileNotFoundError:
            raise InputError(f"{p}: no such file") from None
        except UnicodeDecodeError as e:
            raise InputError(f"{p}: not valid UTF-8 ({e})") from None
        list_files.append({"file": Path(p).name, "sha256": digest})
    dev: list[list[tuple[str, str]]] = []
    if args.dev_percent > 0:
        sentences, dev = split_dev(sentences, args.dev_percent, args.seed)
    if not args.quiet:
        logging.basicConfig(format="tieng train-tagger: %(message)s", level=logging.INFO)
    t0 = time.time()
    try:
        model = train_tagger(
            sentences,
            word_lists=lists,
            epochs=args.epochs,
            bits=args.hash_bits,
            dev=dev,
            case_copies=args.case_copies,
            runs=args.runs,
            metadata={
                "corpus": [Path(p).name for p in args.corpus],
                "word_lists": list_files,
                "dev_percent": args.dev_percent,
            },
        )
    except ValueError as e:
        raise InputError(str(e)) from None
    if dev:
        model.metadata["dev_accuracy"] = round(100 * accuracy(Tagger(model), dev), 2)
    from .files import FileError

    try:
        model.save(out)
    except FileError as e:
        raise InputError(str(e)) from None
    if not args.quiet:
        figure = f", dev accuracy {model.metadata['dev_accuracy']:.2f}" if dev else ""
        print(
            f"tieng train-tagger: wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in "
            f"{time.time() - t0:.0f} s{figure}",
            file=sys.stderr,
        )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    try:
        import scipy.optimize  # noqa: F401  (found out now, before any work)

        from .training import read_corpus, read_word_list, split_dev, train
    except ImportError as e:
        raise InputError(
            f"training needs its extra: pip install '.[train]' in the clone ({e.name} is missing)"
        ) from None
    for p in args.corpus:
        if not Path(p).is_file():
            raise InputError(f"{p}: no such file")
    out = Path(args.output)
    if out.is_dir():
        raise InputError(f"{out}: is a directory (the model is a file)")
    where = out.resolve().parent  # found out now, not after training
    if not where.is_dir():
        raise InputError(f"{out}: no such directory {where}")
    if not os.access(where, os.W_OK):
        raise InputError(f"{out}: cannot write in {where}")
    file_weights = args.weights or [1.0] * len(args.corpus)
    if len(file_weights) != len(args.corpus):
        raise InputError(
            f"--weights needs one weight per corpus file "
            f"({len(args.corpus)} files, {len(file_weights)} weights)"
        )
    if not all(w > 0 for w in file_weights):
        raise InputError("--weights must be positive")
    file_domains = args.domains or [""] * len(args.corpus)
    if len(file_domains) != len(args.corpus):
        raise InputError(
            f"--domains needs one label per corpus file "
            f"({len(args.corpus)} files, {len(file_domains)} labels)"
        )
    if args.domains and args.target_domain not in file_domains:
        raise InputError("--domains needs --target-domain, one of the labels given")
    if args.target_domain is not None and not args.domains:
        raise InputError("--target-domain needs --domains")
    if not 0 <= args.classes <= 4096:
        raise InputError("--classes must be between 0 and 4096")
    word_lists: dict[str, list[list[str]]] = {}
    list_files: dict[str, dict[str, str]] = {}
    for p in args.lexicon:
        name = Path(p).name.split(".")[0]
        if name in word_lists:
            raise InputError(f"--lexicon: two word lists named {name!r} (rename one file)")
        if len(word_lists) == 8:
            raise InputError("--lexicon: at most 8 word lists")
        try:
            word_lists[name] = read_word_list(p)
            digest = _sha256(p)
        except FileNotFoundError:
            raise InputError(f"{p}: no such file") from None
        except UnicodeDecodeError as e:
            raise InputError(f"{p}: not valid UTF-8 ({e})") from None
        except OSError as e:
            raise InputError(f"{p}: cannot read ({e.strerror})") from None
        list_files[name] = {"file": Path(p).name, "sha256": digest}
    sentences, weights, domains = [], [], []
    for p, w, d in zip(args.corpus, file_weights, file_domains):
        try:
            part = read_corpus(p, args.format)
        except UnicodeDecodeError as e:
            raise InputError(f"{p}: not valid UTF-8 ({e})") from None
        except ValueError as e:  # a format it is not in (raw text, say)
            raise InputError(str(e)) from None
        sentences += part
        weights += [w] * len(part)
        domains += [d] * len(part)
    if not sentences:
        raise InputError("the corpus holds no sentences")
    dev: list[list[str]] = []
    if args.dev_percent > 0:
        kept, held = split_dev(list(zip(sentences, weights, domains)), args.dev_percent, args.seed)
        sentences = [s for s, _, _ in kept]
        weights = [w for _, w, _ in kept]
        domains = [d for _, _, d in kept]
        dev = [s for s, _, d in held if not args.domains or d == args.target_domain]

    def progress(msg: str) -> None:
        if not args.quiet:
            print(f"tieng train: {msg}", file=sys.stderr, flush=True)

    hash_bits = args.hash_bits or (22 if len(sentences) >= 20_000 else 18)
    model = train(
        sentences,
        hash_bits=hash_bits,
        l2=args.l2,
        max_iter=args.max_iter,
        folds=args.folds,
        min_feature_count=args.min_feature_count,
        affixes=not args.no_affixes,
        classes=args.classes,
        key_version=UNACCENTED if args.unaccented else KEY_VERSION,
        weights=weights if args.weights else None,
        domains=domains if args.domains else None,
        target_domain=args.target_domain,
        lists=word_lists or None,
        list_version=args.list_version,
        foreign=args.foreign,
        metadata={
            "corpus": [Path(p).name for p in args.corpus],
            **({"corpus_weights": file_weights} if args.weights else {}),
            **({"corpus_domains": file_domains} if args.domains else {}),
        },
        progress=progress,
    )
    for entry in model.metadata["training"].get("lists", []):
        entry.update(list_files[entry["name"]])
    if dev:
        from .evaluation import evaluate

        seg = Segmenter(model, pretokenized=True)
        scores = evaluate(
            (" ".join(s) for s in dev),
            seg.pipe_text(" ".join(w.replace("_", " ") for w in s) for s in dev),
        )
        model.metadata["dev"] = {
            "percent": args.dev_percent,
            "seed": args.seed,
            "sentences": len(dev),
            "f1_pretokenized": round(scores.f1, 3),
        }
        progress(f"dev ({len(dev)} sentences, pre-tokenized): {scores}")
    from .files import FileError

    try:
        model.save(args.output)
    except FileError as e:  # it names the file and says why
        raise InputError(str(e)) from None
    progress(f"saved {args.output} ({Path(args.output).stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from . import server  # (and checks that fastapi is there)
    except ImportError as e:
        raise InputError(
            f"the server needs its extra: pip install '.[server]' in the clone "
            f"({e.name} is missing)"
        ) from None
    _segmenter(args)  # a bad model or dictionary file fails here, with a clear message
    if args.model:
        bundled = args.model in BUNDLED_MODELS
        os.environ["TIENG_MODEL"] = args.model if bundled else str(Path(args.model).resolve())
    for name, value in (
        ("TIENG_USER_DICT", args.user_dict),
        ("TIENG_NEVER_JOIN", args.never_join),
        ("TIENG_KNOWN_WORDS", args.known_words),
    ):
        if value:
            os.environ[name] = str(Path(value).resolve())
    os.environ["TIENG_MAX_BODY"] = str(args.max_body)
    os.environ["TIENG_IN_FLIGHT"] = str(args.in_flight)
    os.environ["TIENG_QUEUE_WAIT"] = str(args.queue_wait)
    os.environ["TIENG_BODY_TIMEOUT"] = str(args.body_timeout)
    os.environ["TIENG_OWN_PROCESS"] = "1"  # each worker may tune its own process
    uvicorn.run(
        "tieng.server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=not args.no_access_log,
        limit_concurrency=args.max_connections,
        timeout_keep_alive=args.keep_alive,
        http=server.guarded_protocol(args.header_timeout),
    )
    return 0


def _tagger_info(args: argparse.Namespace) -> int:
    from .tagging import Tagger

    tagger = Tagger(args.tagger)
    m = tagger.model
    info = {
        "metadata": m.metadata,
        "tags": m.tags,
        "hash_bits": m.bits,
        "templates": len(m.templates),
        "known_words": len(m.words),
        "ambiguity_classes": len(m.class_names),
        "listed_words": len(m.listed),
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    corpus = ", ".join(m.metadata.get("corpus", []))
    rows = [
        ("tagger", repr(tagger)),
        ("file", f"{len(m.to_bytes()) / 1e6:.1f} MB"),
        ("trained", str(m.metadata.get("trained", "?"))),
        ("trained on", f"{m.metadata.get('sentences', 0):,} sentences: {corpus}"),
        ("tags", " ".join(m.tags)),
        ("features", f"{len(m.templates)} templates, 2^{m.bits} weights (int8)"),
        ("known words", f"{len(m.words):,}, {len(m.class_names):,} ambiguity classes"),
        ("word lists", f"{len(m.listed):,} words"),
    ]
    if "dev_accuracy" in m.metadata:
        rows.append(("dev accuracy", f"{m.metadata['dev_accuracy']:.2f}"))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    if args.tagger is not None:
        return _tagger_info(args)
    seg = _segmenter(args)
    m = seg.model
    metadata = dict(m.metadata)
    if m.calibration is not None:
        metadata["calibration"] = m.calibration.to_dict()
    info = {
        "metadata": metadata,
        "features": m.spec.to_dict(),
        "vocabulary": len(m.vocabulary),
        "lexicon": len(m.lexicon),
        "word_lists": {name: len(rows) for name, rows in zip(m.spec.lists, m.lists)},
        "code": describe_code(),
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    meta = m.metadata
    training = meta.get("training", {})
    if args.model in (None, *BUNDLED_MODELS):
        name = args.model or "vlsp2013"
        where = f"bundled model {name!r} ({BUNDLED_MODELS[name]})"
        size = len(m.to_bytes())
    else:
        where = str(Path(args.model).resolve())
        size = Path(args.model).stat().st_size
    rows = [("model", where), ("file", f"format version {m.format_version}, {size / 1e6:.1f} MB")]
    if meta.get("description"):
        rows.append(("about", meta["description"]))
    if meta.get("created"):
        rows.append(("created", meta["created"]))
    corpus = meta.get("corpus", [])
    weights = meta.get("corpus_weights")
    if corpus:
        files = ", ".join(
            f"{c} (weight {w:g})" if weights else c
            for c, w in zip(corpus, weights or [None] * len(corpus))
        )
        rows.append(("trained on", f"{training.get('sentences', '?'):,} sentences: {files}"))
    if meta.get("data"):
        rows.append(("data", meta["data"]))
    spec = m.spec
    view = {1: "accented", 2: "accented, i/y folded", 3: "without diacritics"}
    features = [
        f"2^{spec.hash_bits} weights ({m.weights.dtype})",
        f"words of up to {spec.max_word} syllables",
        f"token view: {view.get(spec.key_version, spec.key_version)}",
    ]
    if spec.affixes:
        features.append("affixes")
    if spec.classes:
        features.append(f"{spec.classes} syllable classes")
    if spec.foreign:
        features.append("foreign-word shapes")
    rows.append(("features", ", ".join(features)))
    rows.append(("vocabulary", f"{len(m.vocabulary):,} syllables"))
    rows.append(("lexicon", f"{len(m.lexicon):,} words from the training data"))
    listed = {x["name"]: x for x in training.get("lists", [])}
    for name, rows_ in zip(spec.lists, m.lists):
        x = listed.get(name, {})
        detail = f"{len(rows_):,} entries of 2+ syllables"
        if "entries" in x:
            detail += f" (of {x['entries']:,})"
        if x.get("source"):
            detail += f", {x['source']}"
        if x.get("sha256"):
            detail += f", sha256 {x['sha256'][:12]}…"
        rows.append((f"word list {name}", detail))
    for label, fig in meta.get("figures", {}).items():
        rows.append((label, fig))
    rows.append(("confidence", "calibrated" if m.calibration else "not calibrated"))
    rows.append(("code", describe_code()))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tieng",
        description="Vietnamese word segmentation and part-of-speech tagging.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"tieng {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    p.commands = sub.choices  # type: ignore[attr-defined]  # each command's own parser

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

    def segment_options(sp: argparse.ArgumentParser, tagging: bool) -> None:
        io_args(sp)
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
            "--to",
            choices=["text", "jsonl", "conllu"],
            help="output: underscore text, JSON lines with words and offsets, or CoNLL-U "
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
        sp.add_argument(
            "--errors-to", metavar="FILE", help="write failed records here (JSON lines)"
        )
        sp.add_argument(
            "--resume", action="store_true", help="skip inputs whose output is already complete"
        )
        sp.add_argument(
            "--max-line-bytes",
            type=int,
            default=64 << 20,
            metavar="N",
            help="a longer line is an error, so memory stays bounded (default: 64 MiB; at "
            "least 1 MiB)",
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
        "tokenize",
        help="split text into tokens, separated by spaces",
        description="Split text into tokens (syllables, numbers, punctuation, URLs, ...), "
        "written separated by spaces, one output line per input line.",
    )
    io_args(sp)
    sp.set_defaults(func=cmd_tokenize)

    sp = sub.add_parser(
        "normalize",
        help="rewrite text in NFC with one tone-mark style",
        description="Rewrite text in Unicode NFC with one tone-mark placement (by default the "
        "modern one: hòa, thủy), one output line per input line.",
    )
    io_args(sp)
    sp.add_argument(
        "--tone",
        choices=["modern", "classic", "none"],
        default="modern",
        help="modern (the default): hòa, thủy; classic: hoà, thuỷ; none: NFC only",
    )
    sp.set_defaults(func=cmd_normalize)

    sp = sub.add_parser(
        "evaluate",
        help="score a segmented file against a gold file",
        description="Word precision, recall and F1 of PREDICTED against GOLD. Both are "
        "segmented text in the underscore format, one sentence a line, lines in the same "
        "order: words separated by spaces, the syllables of a word joined by _ "
        "(Hà_Nội là thủ_đô .), as `tieng segment` writes. The two must hold the same "
        "characters once spaces and _ are removed; tokens may differ (raw-text output is "
        "scored against the gold words).",
        epilog="example:\n  tieng segment raw.txt -o pred.txt && tieng evaluate gold.txt pred.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument("gold", metavar="GOLD", help="the reference segmentation")
    sp.add_argument("predicted", metavar="PRED", help="the segmentation to score")
    sp.add_argument("--json", action="store_true", help="print the scores as JSON")
    sp.add_argument(
        "--task",
        choices=["segment", "pos"],
        default="segment",
        help="segment (default): word F1; pos: both files are word/TAG lines (as tieng tag "
        "writes); prints the tag accuracy when the words are the gold words, and the F1 "
        "of words whose span and tag are both right",
    )
    sp.set_defaults(func=cmd_evaluate)

    sp = sub.add_parser(
        "train",
        help="train a model on a segmented corpus",
        description="Train a segmentation model on text in the underscore format (one "
        "sentence a line, words separated by spaces, syllables of a word joined by _).",
        epilog="examples:\n"
        "  tieng train corpus.txt -o my.tieng\n"
        "  tieng train corpus.txt -o my.tieng --lexicon words.txt --classes 256\n"
        "a quick small run (seconds, to try the options; lower accuracy):\n"
        "  tieng train corpus.txt -o quick.tieng --hash-bits 18 --max-iter 30 --folds 2 "
        "--dev-percent 5",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument(
        "corpus",
        nargs="+",
        help="segmented text (Thành_phố sẽ đầu_tư ., one sentence a line), word/TAG lines or "
        "CoNLL-U; the format is told from the content",
    )
    sp.add_argument(
        "--format",
        choices=["auto", "segmented", "tagged", "conllu"],
        default="auto",
        help="the corpus format, when telling it from the content is not wanted",
    )
    sp.add_argument("-o", "--output", required=True, metavar="FILE", help="model file to write")
    sp.add_argument(
        "--dev-percent",
        type=float,
        default=0.0,
        help="hold out this share of sentences and report the score on it (default: 0)",
    )
    sp.add_argument("--seed", type=int, default=13, help="seed of the dev split (default: 13)")
    sp.add_argument(
        "--l2", type=float, default=1.0, help="L2 regularization strength (default: 1.0)"
    )
    sp.add_argument(
        "--hash-bits",
        type=int,
        default=None,
        help="log2 of the weight table size (default: 22, an 8 MB model, from 20,000 "
        "sentences on; 18, a 0.5 MB model that trains in seconds, below)",
    )
    sp.add_argument("--max-iter", type=int, default=300, help="L-BFGS iterations (default: 300)")
    sp.add_argument(
        "--folds", type=int, default=5, help="folds for the jackknifed lexicon (default: 5)"
    )
    sp.add_argument(
        "--no-affixes",
        action="store_true",
        help="leave out the affix templates (known word before the gap x syllable after it)",
    )
    sp.add_argument(
        "--unaccented",
        action="store_true",
        help="the model sees every syllable without tone marks and diacritics (d for đ), "
        "so it reads text written without them too",
    )
    sp.add_argument(
        "--foreign",
        action="store_true",
        help="give words that are no Vietnamese syllable (Macron, quick) shapes of their own",
    )
    sp.add_argument(
        "--classes",
        type=int,
        default=0,
        metavar="K",
        help="group the syllables into K classes by the company they keep and add features "
        "of the classes around each gap (default 0: none)",
    )
    sp.add_argument(
        "--min-feature-count",
        type=int,
        default=1,
        metavar="N",
        help="features seen at fewer than N gaps are used but not trained (default 1: all)",
    )
    sp.add_argument(
        "--weights",
        type=float,
        nargs="+",
        metavar="W",
        help="one weight per corpus file: how much its sentences count in the loss (default 1)",
    )
    sp.add_argument(
        "--domains",
        nargs="+",
        metavar="LABEL",
        help="one label per corpus file, for corpora that segment by different conventions: "
        "each label gets its own copy of the weights beside the shared ones",
    )
    sp.add_argument(
        "--target-domain",
        metavar="LABEL",
        help="with --domains: the label whose convention the model follows",
    )
    sp.add_argument(
        "--lexicon",
        action="append",
        default=[],
        metavar="FILE",
        help="an outside word list (one entry a line, syllables separated by spaces), given to "
        "the model as a feature group of its own, so it learns how far to trust the list; "
        "its entries go into the model file; repeatable, up to 8",
    )
    sp.add_argument(
        "--list-version",
        type=int,
        choices=[1, 2],
        default=1,
        help="word-list templates: 2 adds each list's say paired with the syllables around "
        "the gap (default: 1; 2 was no better on the dev folds)",
    )
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser(
        "train-tagger",
        help="train a part-of-speech tagger on a tagged corpus",
        description="Train a tagger on text in the VLSP POS format: one sentence a line, "
        "word/TAG tokens separated by spaces, the syllables of a word joined by _ "
        "(Hươu/N là/V loài/N vật/N nhút_nhát/A ./CH).",
        epilog="example:\n  tieng train-tagger vlsp2013_pos_train.txt -o my-pos.tieng "
        "--lexicon words.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument(
        "corpus",
        nargs="+",
        help="tagged text (word/TAG tokens, one sentence a line) or CoNLL-U (XPOS, else UPOS)",
    )
    sp.add_argument(
        "--format",
        choices=["auto", "tagged", "conllu"],
        default="auto",
        help="the corpus format, when telling it from the content is not wanted",
    )
    sp.add_argument("-o", "--output", required=True, metavar="FILE", help="model file to write")
    sp.add_argument(
        "--lexicon",
        action="append",
        default=[],
        metavar="FILE",
        help="an outside word list (one word a line, syllables separated by spaces or _); "
        "whether a word is in one becomes a feature; may be repeated",
    )
    sp.add_argument("--epochs", type=int, default=6, help="passes over the corpus (default: 6)")
    sp.add_argument(
        "--runs",
        type=int,
        default=2,
        help="train this many times, each run visiting the sentences in its own order, and "
        "average them (default: 2)",
    )
    sp.add_argument(
        "--case-copies",
        type=float,
        default=0.02,
        metavar="SHARE",
        help="add this share of the sentences again in lower case, and again in capitals, so "
        "that text without meaningful capitals is tagged well (default: 0.02)",
    )
    sp.add_argument(
        "--hash-bits", type=int, default=18, help="weight table of 2**BITS rows (default: 18)"
    )
    sp.add_argument(
        "--dev-percent",
        type=float,
        default=0.0,
        help="hold out this share of the corpus (blocks of sentences) and report accuracy on "
        "it after each pass (default: 0, train on all)",
    )
    sp.add_argument("--seed", type=int, default=13, help="seed of the dev split (default: 13)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    sp.set_defaults(func=cmd_train_tagger)

    sp = sub.add_parser("serve", help="run the HTTP service and its web page")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sp.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    sp.add_argument("--no-access-log", action="store_true", help="do not log every request")
    sp.add_argument(
        "--in-flight",
        type=int,
        default=4,
        metavar="N",
        help="requests a worker reads, segments and answers at once; the memory bound (default 4)",
    )
    sp.add_argument(
        "--queue-wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a request beyond --in-flight waits before a 503 (default 10)",
    )
    sp.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="each part of a request body must arrive within this, else 408 (default 10)",
    )
    sp.add_argument(
        "--max-connections",
        type=int,
        default=512,
        metavar="N",
        help="open connections a worker keeps; beyond them, 503 (default 512)",
    )
    sp.add_argument(
        "--keep-alive",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="an idle keep-alive connection is closed after this (default 5)",
    )
    sp.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a connection that has not sent a request's head this long after it opened, or "
        "after its last answer, is closed (default 10); GET /healthz is always answered",
    )
    sp.add_argument("--model", metavar="FILE", help=_MODEL_HELP)
    dictionary_args(sp)
    sp.add_argument(
        "--max-body",
        type=int,
        default=1 << 20,
        metavar="BYTES",
        help="largest request body accepted; larger ones get 413 (default 1 MiB)",
    )
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser(
        "info", help="describe a model: training data, word lists, features, figures"
    )
    sp.add_argument("--model", metavar="FILE", help=_MODEL_HELP)
    sp.add_argument("--json", action="store_true", help="print the raw metadata as JSON")
    sp.add_argument(
        "--tagger",
        nargs="?",
        const="vlsp2013-pos",
        metavar="FILE",
        help="describe the part-of-speech tagger instead (the bundled one, or FILE)",
    )
    sp.set_defaults(func=cmd_info)
    return p


def _writes_stdout(args: argparse.Namespace) -> bool:
    """Whether the command writes its results to standard output."""
    if args.command in ("info", "evaluate"):
        return True
    if args.command in ("segment", "tag", "tokenize", "normalize"):
        return args.output in (None, "-")
    return False


def _sha256(path: str | Path) -> str:
    import hashlib  # here: loading OpenSSL costs every other command a few ms

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # a wrong flag: the usage of the command it was given to, not tieng's
        commands = getattr(parser, "commands", {})
        (commands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:  # plain `tieng`: what it can do, and no success (as git does)
        parser.print_help(sys.stderr)
        return 2
    keep_freed_memory()  # the CLI owns its process (and its workers, which inherit this)
    try:
        if sys.stdout is None and _writes_stdout(args):
            where = "; give -o FILE" if args.command not in ("info", "evaluate") else ""
            raise InputError(f"standard output is closed, and the results go there{where}")
        code = args.func(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk is found here, not at exit
        return code
    except (InputError, ModelError) as e:
        print(f"tieng: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as e:
        # Standard output (or a file) that cannot be written: a full disk, say.
        print(f"tieng: error: cannot write the output ({e.strerror or e})", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # nothing more to flush at exit
        return 2
    except KeyboardInterrupt:
        print("tieng: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
