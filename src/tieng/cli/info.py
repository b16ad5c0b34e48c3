"""``tieng info``: what a model is, how it was trained, which code runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .._accel import describe as describe_code
from ..segmentation import BUNDLED_MODELS
from .common import (
    _MODEL_HELP,
    _segmenter,
)


def _tagger_info(args: argparse.Namespace) -> int:
    from ..tagging import Tagger

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


def _size(source, model) -> int:
    """The size of a model's file: read again from its source (writing the model out again
    would compress its weights anew, a second's work)."""
    return len(source.read()[0]) if source is not None else len(model.to_bytes())


def _restorer_info(args: argparse.Namespace) -> int:
    from ..restoration import Restorer

    restorer = Restorer(args.restorer)
    m = restorer.model
    info = {
        "metadata": m.metadata,
        "hash_bits": m.bits,
        "templates": [list(t) for t in m.templates],
        "keys": len(m.keys),
        "forms": len(m.forms),
        "temperature": m.temperature,
    }
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    with_candidates = int((m.offsets[1:] > m.offsets[:-1]).sum())
    rows = [
        ("restorer", repr(restorer)),
        ("file", f"{_size(restorer._source, m) / 1e6:.1f} MB"),
        ("licence", str(m.metadata.get("license", "?"))),
        ("trained", str(m.metadata.get("trained", "?"))),
        ("trained on", str(m.metadata.get("training", "?"))),
        ("attribution", str(m.metadata.get("attribution", "-"))),
        ("features", f"{len(m.templates)} templates, 2^{m.bits} weights (int8)"),
        ("knows", f"{len(m.keys):,} bare tokens, {with_candidates:,} with {len(m.forms):,} "
                  "written forms"),
        ("tone marks", str(m.metadata.get("tone", "?"))),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def _parser_info(args: argparse.Namespace) -> int:
    from ..parsing import Parser

    parser = Parser(args.parser)
    m = parser.model
    info = {"metadata": m.metadata, "labels": m.labels, "bits": m.bits, "label_bits": m.label_bits}
    if args.json:
        print(json.dumps(info, ensure_ascii=False, indent=2))
        return 0
    rows = [
        ("parser", repr(parser)),
        ("file", f"{_size(parser._source, m) / 1e6:.1f} MB"),
        ("licence", str(m.metadata.get("license", "?"))),
        ("trained", str(m.metadata.get("trained", "?"))),
        ("trained on", str(m.metadata.get("training", m.metadata.get("treebank", "?")))),
        ("attribution", str(m.metadata.get("attribution", "-"))),
        ("relations", f"{len(m.labels)}"),
        ("features", f"2^{m.bits} rows of 3 moves, 2^{m.label_bits} rows of relations (int8)"),
    ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    if args.tagger is not None:
        return _tagger_info(args)
    if args.parser is not None:
        return _parser_info(args)
    if args.restorer is not None:
        return _restorer_info(args)
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
        "word_lists": dict(zip(m.spec.lists, m.list_sizes)),
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
    stored = "8 bits, a codebook of 256 values" if m.codebook is not None else m.weights.dtype
    features = [
        f"2^{spec.hash_bits} weights ({stored})",
        f"words of up to {spec.max_word} syllables",
        f"token view: {view.get(spec.key_version, spec.key_version)}",
    ]
    if spec.affixes:
        features.append("affixes")
    if spec.classes:
        features.append(f"{spec.classes} syllable classes")
    if spec.foreign:
        features.append("foreign-word shapes")
    if spec.countries:
        features.append(f"{len(spec.countries)} country names")
    rows.append(("features", ", ".join(features)))
    if m.syllable_flags is not None:
        from ..engine.features import SyllableFlag

        counts = {
            name.lower().replace("_", " "): int(np.count_nonzero(m.syllable_flags & bit))
            for name, bit in vars(SyllableFlag).items()
            if name.isupper() and name != "ALL"
        }
        rows.append(("syllable flags", ", ".join(f"{n:,} {k}" for k, n in counts.items())))
    rows.append(("vocabulary", f"{len(m.vocabulary):,} syllables"))
    rows.append(("lexicon", f"{len(m.lexicon):,} words from the training data"))
    listed = {x["name"]: x for x in training.get("lists", [])}
    for name, size in zip(spec.lists, m.list_sizes):
        x = listed.get(name, {})
        detail = f"{size:,} entries of 2+ syllables"
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


def register(sub) -> None:
    """Add this module's commands to ``sub``, the subparsers of ``tieng``."""
    sp = sub.add_parser(
        "info",
        help="describe a model: training data, word lists, features, figures",
        description="Describe a model (the bundled one, or --model): its training data, word "
        "lists, features and figures, and which code runs (compiled helpers or Python only). "
        "--json prints its raw metadata as JSON.",
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
    sp.add_argument(
        "--restorer",
        nargs="?",
        const="viwiki-restorer",
        metavar="FILE",
        help="describe the diacritics restorer instead (the bundled one, or FILE)",
    )
    sp.add_argument(
        "--parser",
        nargs="?",
        const="vtb-parser",
        metavar="FILE",
        help="describe the dependency parser instead (the bundled one, or FILE)",
    )
    sp.set_defaults(func=cmd_info)
