"""``tieng train`` and ``tieng train-tagger``: models from annotated corpora."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from ..normalization import KEY_VERSION, UNACCENTED
from ..segmentation import Segmenter
from .common import (
    InputError,
    _sha256,
    read_lines,
)


def cmd_train_tagger(args: argparse.Namespace) -> int:
    import logging
    import time

    from ..tagging import Tagger
    from ..training.segmenter import read_word_list, split_dev
    from ..training.tagger import accuracy, read_tagged, train_tagger

    out = Path(args.output)
    _check_writable(out)
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
    figure = f", dev accuracy {model.metadata['dev_accuracy']:.2f}" if dev else ""
    return _saved(model, out, "train-tagger", t0, args.quiet, figure)


def cmd_train_restorer(args: argparse.Namespace) -> int:
    import logging
    import time

    from ..normalization import normalize
    from ..restoration import Restorer
    from ..training.corpora import looks_segmented
    from ..training.restorer import restoration_accuracy, train_restorer
    from ..training.segmenter import read_word_list, split_dev

    out = Path(args.output)
    _check_writable(out)
    if not 12 <= args.hash_bits <= 26:
        raise InputError("--hash-bits must be between 12 and 26")
    if args.epochs < 1:
        raise InputError("--epochs must be at least 1")
    tone = None if args.tone == "none" else args.tone
    lines: list[str] = []
    for p in args.text:
        body = [b for b, _ in read_lines([p]) if b.strip()]
        segmented = looks_segmented("\n".join(body[:200]))
        lines += [normalize(b.replace("_", " ") if segmented else b, tone) for b in body]
    if not lines:
        raise InputError("the text holds no lines to learn from")
    lists = [[" ".join(w) for w in _read_list(p, read_word_list)[0]] for p in args.lexicon]
    dev: list[str] = []
    if args.dev_percent > 0:
        lines, dev = split_dev(lines, args.dev_percent, args.seed)
    if not args.quiet:
        logging.basicConfig(format="tieng train-restorer: %(message)s", level=logging.INFO)
    t0 = time.time()
    try:
        model = train_restorer(
            lines,
            word_lists=lists,
            epochs=args.epochs,
            bits=args.hash_bits,
            dev=dev,
            metadata={
                "text": [Path(p).name for p in args.text],
                "tone": args.tone,
                "dev_percent": args.dev_percent,
            },
        )
    except ValueError as e:
        raise InputError(str(e)) from None
    if dev:
        model.metadata["dev_accuracy"] = round(restoration_accuracy(Restorer(model), dev), 2)
    figure = f", dev syllable accuracy {model.metadata['dev_accuracy']:.2f}" if dev else ""
    return _saved(model, out, "train-restorer", t0, args.quiet, figure)


def cmd_train_parser(args: argparse.Namespace) -> int:
    import logging
    import time

    from ..parsing import ParserModel
    from ..tagging import Tagger
    from ..training.parser import attachment_scores, read_conllu, train_parser

    out = Path(args.output)
    _check_writable(out)
    if args.epochs < 1:
        raise InputError("--epochs must be at least 1")
    trees = []
    for p in args.treebank:
        try:
            trees += read_conllu(p)
        except FileNotFoundError:
            raise InputError(f"{p}: no such file") from None
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(f"{p}: not CoNLL-U ({e})") from None
    if not trees:
        raise InputError("the treebank holds no sentences")
    tagger = Tagger(args.tagger)  # the tags the parser will read at run time
    tags = tagger.tag_words([[w for w, *_ in s] for s in trees])
    trees = [[(w, t, h, r) for (w, _, h, r), t in zip(s, ts)] for s, ts in zip(trees, tags)]
    dev: list[list[tuple[str, str, int, str]]] = []
    if args.dev_percent > 0:
        from ..training.segmenter import split_dev

        trees, dev = split_dev(trees, args.dev_percent, args.seed)
    if not args.quiet:
        logging.basicConfig(format="tieng train-parser: %(message)s", level=logging.INFO)
    t0 = time.time()
    try:
        model: ParserModel = train_parser(
            trees,
            epochs=args.epochs,
            dev=dev,
            metadata={"treebank": [Path(p).name for p in args.treebank]},
        )
    except ValueError as e:
        raise InputError(str(e)) from None
    if dev:
        uas, las = attachment_scores(model, dev)
        model.metadata.update(dev_uas=round(uas, 2), dev_las=round(las, 2))
    figure = f", dev UAS {model.metadata['dev_uas']:.2f}" if dev else ""
    return _saved(model, out, "train-parser", t0, args.quiet, figure)


def _saved(model: Any, out: Path, command: str, t0: float, quiet: bool, figure: str) -> int:
    """Write a trained model (any kind) to ``out`` and say so on stderr: its size, the time
    taken and ``figure`` (the dev score, when there is one)."""
    import time

    from ..files import FileError

    try:
        model.save(out)
    except FileError as e:
        raise InputError(str(e)) from None
    if not quiet:
        print(
            f"tieng {command}: wrote {out} ({out.stat().st_size / 1e6:.1f} MB) in "
            f"{time.time() - t0:.0f} s{figure}",
            file=sys.stderr,
        )
    return 0


def _read_list(path: str, read) -> tuple[list[list[str]], dict[str, str]]:
    """An outside list's entries (``read(path)``) and its file's name and checksum, for the
    model's metadata; an :class:`InputError` when it cannot be read."""
    try:
        return read(path), {"file": Path(path).name, "sha256": _sha256(path)}
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not valid UTF-8 ({e})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None


def cmd_train(args: argparse.Namespace) -> int:
    try:
        import scipy.optimize  # noqa: F401  (found out now, before any work)

        from ..training.segmenter import TrainConfig, split_dev, train
    except ImportError as e:
        raise InputError(
            f"training needs its extra: pip install '.[train]' in the clone ({e.name} is missing)"
        ) from None
    _check_output(args.corpus, Path(args.output))
    file_weights, file_domains = _file_labels(args)
    try:
        config = TrainConfig(
            l2=args.l2,
            max_iter=args.max_iter,
            tol=args.tol,
            folds=args.folds,
            min_feature_count=args.min_feature_count,
            affixes=not args.no_affixes,
            classes=args.classes,
            key_version=UNACCENTED if args.unaccented else KEY_VERSION,
            list_version=args.list_version,
            foreign=args.foreign,
        )
    except ValueError as e:  # the library's checks, named as the options are
        raise InputError("--" + str(e).replace("_", "-")) from None
    word_lists, list_files = _word_lists(args.lexicon)
    countries, country_file = _countries(args.countries)
    sentences, weights, domains = _sentences(args, file_weights, file_domains)
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

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        model = train(
            sentences,
            config,
            hash_bits=args.hash_bits or (22 if len(sentences) >= 20_000 else 18),
            countries=tuple(countries),
            weights=weights if args.weights else None,
            domains=domains if args.domains else None,
            target_domain=args.target_domain,
            lists=word_lists or None,
            metadata={
                "corpus": [Path(p).name for p in args.corpus],
                **({"corpus_weights": file_weights} if args.weights else {}),
                **({"corpus_domains": file_domains} if args.domains else {}),
            },
            progress=progress,
        )
    for w in caught:  # (a tiny corpus, say): said as the CLI says things, even with --quiet
        print(f"tieng train: warning: {w.message}", file=sys.stderr, flush=True)
    for entry in model.metadata["training"].get("lists", []):
        entry.update(list_files[entry["name"]])
    if countries:
        model.metadata["training"]["countries"] = {**country_file, "names": len(countries)}
    if dev:
        model.metadata["dev"] = _dev_figures(model, dev, args, progress)
    from ..files import FileError

    try:
        model.save(args.output)
    except FileError as e:  # it names the file and says why
        raise InputError(str(e)) from None
    progress(f"saved {args.output} ({Path(args.output).stat().st_size / 1e6:.1f} MB)")
    return 0


def _check_output(corpus: list[str], out: Path) -> None:
    """The corpus files exist and the model can be written: found out now, not after training."""
    for p in corpus:
        if not Path(p).is_file():
            raise InputError(f"{p}: no such file")
    _check_writable(out)


def _check_writable(out: Path) -> None:
    """The model file ``out`` can be written (found out before any work)."""
    from ..files import FileError, resolved

    if out.is_dir():
        raise InputError(f"{out}: is a directory (the model is a file)")
    try:
        where = resolved(out).parent
    except FileError as e:
        raise InputError(str(e)) from None
    if not where.is_dir():
        raise InputError(f"{out}: no such directory {where}")
    if not os.access(where, os.W_OK):
        raise InputError(f"{out}: cannot write in {where}")


def _file_labels(args: argparse.Namespace) -> tuple[list[float], list[str]]:
    """The weight and the domain of each corpus file (--weights, --domains), checked."""
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
    return file_weights, file_domains


def _word_lists(
    paths: list[str],
) -> tuple[dict[str, list[list[str]]], dict[str, dict[str, str]]]:
    """The outside word lists (--lexicon), by name, and what each file was."""
    from ..training.segmenter import read_word_list

    word_lists: dict[str, list[list[str]]] = {}
    list_files: dict[str, dict[str, str]] = {}
    for p in paths:
        name = Path(p).name.split(".")[0]
        if name in word_lists:
            raise InputError(f"--lexicon: two word lists named {name!r} (rename one file)")
        if len(word_lists) == 8:
            raise InputError("--lexicon: at most 8 word lists")
        word_lists[name], list_files[name] = _read_list(p, read_word_list)
    return word_lists, list_files


def _countries(path: str | None) -> tuple[list[str], dict[str, str]]:
    """The one-syllable country names (--countries), and what the file was."""
    if not path:
        return [], {}
    from ..engine.features import FeatureSpec
    from ..training.segmenter import read_word_list

    names, country_file = _read_list(path, read_word_list)
    if any(len(n) != 1 for n in names):
        raise InputError(f"{path}: country names are one syllable a line")
    countries = [n[0] for n in names]
    try:
        FeatureSpec(countries=tuple(countries))
    except ValueError as e:
        raise InputError(f"{path}: {e}") from None
    return countries, country_file


def _sentences(
    args: argparse.Namespace, file_weights: list[float], file_domains: list[str]
) -> tuple[list[list[str]], list[float], list[str]]:
    """The training sentences of every corpus file, each with its file's weight and domain."""
    from ..training.segmenter import read_corpus

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
    return sentences, weights, domains


def _dev_figures(model, dev: list[list[str]], args: argparse.Namespace, progress) -> dict:
    """The model's F1 on the held-out sentences (pre-tokenized), for its metadata."""
    from ..training.evaluation import evaluate

    seg = Segmenter(model, pretokenized=True)
    scores = evaluate(
        (" ".join(s) for s in dev),
        seg.pipe_text(" ".join(w.replace("_", " ") for w in s) for s in dev),
    )
    progress(f"dev ({len(dev)} sentences, pre-tokenized): {scores}")
    return {
        "percent": args.dev_percent,
        "seed": args.seed,
        "sentences": len(dev),
        "f1_pretokenized": round(scores.f1, 3),
    }


def register(sub) -> None:
    """Add this module's commands to ``sub``, the subparsers of ``tieng``."""
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
    _corpus_args(sp)
    _model_args(sp)
    _mixing_args(sp)
    _list_args(sp)
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

    sp = sub.add_parser(
        "train-restorer",
        help="train a diacritics restorer on text written with its diacritics",
        description="Train a restorer (tieng restore --restorer FILE) on any Vietnamese text "
        "written with its diacritics: plain text, or a segmented corpus (its _ read as "
        "spaces). Each syllable's bare form is the input, its written form the answer.",
        epilog="example:\n  tieng train-restorer news.txt wiki.txt.gz -o my-restorer.tieng",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument("text", nargs="+", metavar="TEXT", help="text files (.gz, .bz2, .xz too)")
    sp.add_argument("-o", "--output", required=True, metavar="FILE", help="model file to write")
    sp.add_argument(
        "--lexicon",
        action="append",
        default=[],
        metavar="FILE",
        help="a word list (one word a line): its syllables' written forms become candidates; "
        "may be repeated",
    )
    sp.add_argument("--epochs", type=int, default=3, help="passes over the text (default: 3)")
    sp.add_argument(
        "--hash-bits",
        type=int,
        default=22,
        help="weight table of 2**BITS bytes (default: 22; the bundled model has 23)",
    )
    sp.add_argument(
        "--tone",
        choices=["classic", "modern", "none"],
        default="classic",
        help="write the training text in one tone placement first, so that the model gives "
        "that one: classic (the default, as the VLSP treebank: hoà, thuỷ), modern (hòa, "
        "thủy), none (as the text has it)",
    )
    sp.add_argument(
        "--dev-percent",
        type=float,
        default=0.0,
        help="hold out this share of the lines (in blocks) and report the syllable accuracy "
        "on it (default: 0, train on all)",
    )
    sp.add_argument("--seed", type=int, default=13, help="seed of the dev split (default: 13)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    sp.set_defaults(func=cmd_train_restorer)

    sp = sub.add_parser(
        "train-parser",
        help="train a dependency parser on a treebank (CoNLL-U)",
        description="Train a dependency parser (tieng parse --parser FILE) on CoNLL-U trees "
        "(FORM, HEAD, DEPREL; a multi-syllable word's syllables separated by spaces). The "
        "words are tagged by tieng's tagger, as they will be at run time. A parser trained on "
        "a CC BY-SA treebank (UD) is CC BY-SA too.",
        epilog="example:\n  tieng train-parser ud_vtb_train.conllu -o my-parser.tieng",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument("treebank", nargs="+", metavar="CONLLU", help="CoNLL-U files")
    sp.add_argument("-o", "--output", required=True, metavar="FILE", help="model file to write")
    sp.add_argument("--epochs", type=int, default=4, help="passes over the trees (default: 4)")
    sp.add_argument("--tagger", metavar="FILE", help="tagger (default: the bundled one)")
    sp.add_argument(
        "--dev-percent",
        type=float,
        default=0.0,
        help="hold out this share of the trees and report UAS and LAS on it (default: 0)",
    )
    sp.add_argument("--seed", type=int, default=13, help="seed of the dev split (default: 13)")
    sp.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    sp.set_defaults(func=cmd_train_parser)


def _corpus_args(sp) -> None:
    """``tieng train``'s corpus, output and dev split."""
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


def _model_args(sp) -> None:
    """``tieng train``'s settings of the model (what a TrainConfig holds)."""
    sp.add_argument(
        "--l2", type=float, default=1.0, help="L2 regularization strength (default: 1.0)"
    )
    sp.add_argument(
        "--hash-bits",
        type=int,
        default=None,
        help="log2 of the weight table size (default: 22, 8 MB of weights, from 20,000 "
        "sentences on; 18, 0.5 MB of weights that train in seconds, below; the file adds the "
        "vocabulary, the lexicon and the score tables: about 1.3 MB at 18)",
    )
    sp.add_argument("--max-iter", type=int, default=300, help="L-BFGS iterations (default: 300)")
    sp.add_argument(
        "--tol",
        type=float,
        default=1e-6,
        help="stop when an iteration lowers the loss by less than this share of it "
        "(default: 1e-6; 0 runs all --max-iter iterations)",
    )
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
        "--countries",
        metavar="FILE",
        help="one-syllable names of countries and peoples (Pháp, Nhật), one a line: "
        "capitalized, they get a shape of their own",
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


def _mixing_args(sp) -> None:
    """``tieng train``'s weights and domains of the corpus files."""
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


def _list_args(sp) -> None:
    """``tieng train``'s outside word lists."""
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
