"""Rebuild the bundled model from the VLSP 2013 training data.

Training data: all of vlsp2013_ws_train.txt, plus the sentences of vlsp2013_pos_train.txt
that are neither in the WS training set (same words, any segmentation) nor in the test set
(vlsp2013_ws_test.txt is read only to leave its sentences out).  The treebank-style
sentences (the last part of the WS training set, from line TREEBANK_START on, and the added
POS-train sentences) count TREEBANK_WEIGHT times in the loss.  Settings were chosen on
development splits of the WS training set (blocks of consecutive sentences; see
tieng.training.split_dev and scripts/tune_treebank_weight.py).
Outside word lists (../shared/data/lexicons, see LISTS) are given to the model as feature
groups of their own; their entries go into the model file.  So do the one-syllable names of
countries and peoples (scripts/country_names.py, from Babel: pip install '.[train]').
A share of the sentences (LOWER_COPIES) is added again in lower case.  The model then gets
its syllable flags (RDRsegmenter's name lists; the syllables the training data never glues)
and its weights are stored in 8 bits (Model.quantized).
Usage: python scripts/build_model.py [--data DIR] [-o FILE] [--unaccented] [--reuse FILE]
(--reuse: no training; the weights of FILE, rebuilt into the current file format with flags)

The confidence calibration is a second step, with a model that did not see the dev split
(its bias shifted by BIAS_SHIFT too, with --bias-shift):
    python scripts/country_names.py -o countries.txt
    python scripts/tune_treebank_weight.py --weight 20 --max-iter 300 --classes 256 \
        --foreign --countries countries.txt \
        --lexicon ../shared/data/lexicons/viet74k.txt ... --save held_out.tieng
    python scripts/calibrate.py held_out.tieng --bias-shift 0.3 \
        --write src/tieng/models/vlsp2013.tieng
For the model of text without diacritics, add --unaccented to the last two commands (and write
the calibration into src/tieng/models/vlsp2013-unaccented.tieng).
The figures in the model's metadata (tieng info) are added by benchmarks/accuracy.py --write.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
from country_names import country_names, rdr_country_names
from devfold import TREEBANK_START

from tieng import Model
from tieng.cli import main as tieng_main
from tieng.engine.features import SyllableFlag
from tieng.training.segmenter import (
    _list_rows,
    lower_copies,
    read_corpus,
    read_word_list,
    syllable_flags,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TREEBANK_WEIGHT = 20.0  # chosen on the treebank-style dev split (benchmarks/RESULTS.md)
# Affix templates and token keys version 2 are train()'s defaults; they and the 256 syllable
# classes were chosen on the treebank-style dev split (docs/REPORT.md).
SETTINGS = [
    *("--l2", "1.0", "--hash-bits", "22", "--max-iter", "400", "--folds", "5"),
    *("--classes", "256"),
    *("--tol", "1e-10"),  # all 400 iterations, as every model of this recipe was trained
]
# Outside word lists, each a feature group of its own (chosen on the treebank-style dev
# folds: docs/REPORT.md, "Outside word lists"), with where they come from.
LISTS = {
    "viet74k": "underthesea 9.5.0 (PyPI), underthesea/corpus/data/Viet74K.txt, Apache-2.0",
    "pyvi_words": "pyvi 0.1.1 (PyPI), pyvi/models/words.txt, MIT, (c) 2016 Viet-Trung Tran",
    "vn_admin_units": "built from underthesea 9.5.0 (PyPI), underthesea/address/data/"
    "mapping.json (from vietnamadminunits 1.0.4), Apache-2.0",
}
# Added to the trained bias: the decision threshold, chosen on the four treebank-style dev
# folds with the held-out models of this recipe (docs/REPORT.md, "Decision threshold"): the
# model splits a little more than the treebank does, and +0.3 was the best of -0.6..+0.6 in
# steps of 0.1, better than 0 on each of the four folds.
BIAS_SHIFT = {False: 0.3, True: 0.0}  # the unaccented model's dev fold prefers none
# Word-list templates (tieng train --list-version), as chosen on the dev folds.
LIST_VERSION = {False: 1, True: 1}
# Foreign words (not Vietnamese syllables) get shapes of their own (tieng train --foreign).
# Better on treebank-style dev folds 0 and 1 (+0.03 each) and on the modern dev set's foreign
# sentences (docs/REPORT.md, "Today's text").
# The model of text without diacritics keeps neither: on its dev fold 0 the shapes cost 0.06
# (97.20 against 97.26) and the country names 0.06 more (97.14), as the names, without their
# marks, are also common syllables (Pháp, Nhật, Mỹ, Anh: phap, nhat, my, anh).
FOREIGN = {False: True, True: False}
# One-syllable names of countries and peoples (Pháp, Nhật, Mỹ) get a shape of their own when
# capitalized (tieng train --countries), from CLDR via Babel (scripts/country_names.py):
# level on the treebank-style dev folds, +1.9 to +2.6 on the modern dev set's names
# (docs/REPORT.md, "Today's text").
COUNTRIES = {False: True, True: False}
# ... and, added after training (Model.with_countries), the one-word country names of
# RDRsegmenter's lists (Apache-2.0), foreign spellings included (Canada, Indonesia): level
# on dev folds 0 and 1, names +1.1 on the modern dev set, "Tổng thống Canada Justin_Trudeau"
# right.  Trained with them instead, the model joined more countries to the names after
# them (modern names -1.3: docs/REPORT.md, "Names from lists").
RDR = "rdrsegmenter"
# A share of the training sentences added again in lower case (percent, of each file):
# text typed without capitals, and headings in capitals or Title Case, which the model
# reads as lower case (docs/REPORT.md, "Any case").  The default model has none: 5% gained
# 0.13-0.30 on dev folds in capitals, Title Case and lower case, but cost 0.03-0.07 as
# written and 0.8 on the modern dev set's foreign sentences.  The model of text without
# marks takes 5%: its dev fold 0 went from 96.06 to 96.79 in lower case (text typed without
# marks is often typed without capitals too), and from 97.22 to 97.24 as written.
LOWER_COPIES = {False: 0.0, True: 5.0}
# Syllable flags (tieng.engine.features.SyllableFlag): RDRsegmenter's family, middle and
# sentence-opening names, the syllables the training data never glues (docs/REPORT.md).
NAME_LISTS = {"family": "family_names.txt", "middle": "middle_names.txt",
              "openers": "sentence_initial_words.txt"}  # fmt: skip
DESCRIPTIONS = {
    False: "Vietnamese word segmentation, VLSP 2013 convention",
    True: "Vietnamese word segmentation, VLSP 2013 convention, for text with or without diacritics",
}


def _key(sentence: list[str]) -> str:
    return " ".join(w.replace("_", " ") for w in sentence).lower()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("-o", "--output", type=Path, help="default: the bundled model file")
    p.add_argument(
        "--unaccented",
        action="store_true",
        help="build the model for text without diacritics (vlsp2013-unaccented.tieng)",
    )
    p.add_argument(
        "--reuse",
        type=Path,
        metavar="FILE",
        help="take the weights of this model (of the same recipe) instead of training: "
        "only the file is rebuilt (word lists as rows, syllable flags, 8-bit weights)",
    )
    args = p.parse_args()
    if args.output is None:
        name = "vlsp2013-unaccented.tieng" if args.unaccented else "vlsp2013.tieng"
        args.output = ROOT / "src" / "tieng" / "models" / name
    ws = args.data / "vlsp2013_ws_train.txt"
    pos = args.data / "vlsp2013_pos_train.txt"
    test = args.data / "vlsp2013_ws_test.txt"
    lists = [args.data / "lexicons" / f"{name}.txt" for name in LISTS]
    names = {k: args.data / "lexicons" / RDR / f for k, f in NAME_LISTS.items()}
    for f in (ws, pos, test, *lists, *names.values()):
        if not f.is_file():
            print(f"build_model: {f} not found (pass --data)", file=sys.stderr)
            return 2
    ws_sents = read_corpus(ws)
    # The WS training set has two parts: about 68,000 sentences from one source, then the
    # sentences that are also in the POS training set (Viet Treebank, like the test set).
    # The treebank-style ones weigh more.
    other = [" ".join(s) for s in ws_sents[:TREEBANK_START]]
    treebank = [" ".join(s) for s in ws_sents[TREEBANK_START:]]
    seen = {_key(s) for s in ws_sents} | {_key(s) for s in read_corpus(test)}
    for s in read_corpus(pos):
        k = _key(s)
        if k not in seen:
            seen.add(k)
            treebank.append(" ".join(s))
    training = [s.split() for s in other + treebank]
    share = LOWER_COPIES[args.unaccented]
    lower = [[part[i].lower() for i in lower_copies([s.split() for s in part], share)]
             for part in (other, treebank)]  # fmt: skip
    print(
        f"build_model: {len(other)} sentences weight 1, {len(treebank)} treebank-style "
        f"sentences weight {TREEBANK_WEIGHT}; {share}% of each again in lower case",
        file=sys.stderr,
    )
    if args.reuse is not None:
        model = Model.load(args.reuse)
        if model.codebook is not None:
            print(f"build_model: {args.reuse} has 8-bit weights already", file=sys.stderr)
            return 2
        source = dict(model.metadata["training"].get("countries", {}))
        model = _rebuilt(model, lists, args.unaccented)
        _finish(model, training, names, args, source, shift=False)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        parts = [("ws_other.txt", other), ("treebank_style.txt", treebank)]
        if share:
            parts += [("other_lower.txt", lower[0]), ("treebank_lower.txt", lower[1])]
        for name, lines in parts:
            files.append(Path(tmp) / name)
            files[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
        weights = ["--weights", *(["1", str(TREEBANK_WEIGHT)] * (len(parts) // 2))]
        view = ["--unaccented"] if args.unaccented else []
        lexicons = [x for f in lists for x in ("--lexicon", str(f))]
        command = ["train", *map(str, files), "-o", str(args.output), *SETTINGS]
        lists = [*lexicons, "--list-version", str(LIST_VERSION[args.unaccented])]
        foreign = ["--foreign"] if FOREIGN[args.unaccented] else []
        countries: list[str] = []
        source: dict[str, str] = {}
        if COUNTRIES[args.unaccented]:
            found, source = country_names()
            path = Path(tmp) / "countries.txt"
            path.write_text("\n".join(found) + "\n", encoding="utf-8")
            countries = ["--countries", str(path)]
        code = tieng_main([*command, *weights, *view, *lists, *foreign, *countries])
    if code:
        return code
    _finish(Model.load(args.output), training, names, args, source, shift=True)
    return 0


def _rebuilt(model: Model, lists: list[Path], unaccented: bool) -> Model:
    """``model`` with its word lists as rows (read again from the lists, through its
    vocabulary: the hash table its file holds is checked to be theirs), for a smaller file."""
    rows, _ = _list_rows(
        model.vocabulary, {f.stem: read_word_list(f) for f in lists}, model.spec.max_word,
        lambda m: None,
    )  # fmt: skip
    again = Model(
        model.vocabulary, model.lexicon, model.weights, model.bias, model.spec, model.metadata,
        model.classes, rows,
    )  # fmt: skip
    old, new = model._lists.table, again._lists.table
    if not (np.array_equal(old.keys, new.keys) and np.array_equal(old.flags, new.flags)):
        raise SystemExit("build_model: the word lists are not the ones the model was built with")
    again.calibration = model.calibration
    return again


def _finish(model: Model, training, names, args, source: dict, shift: bool) -> None:
    """Say in the model what it is and where its word lists come from (tieng info shows it),
    give it its syllable flags, store its weights in 8 bits, and save it."""
    if shift:
        model.bias += BIAS_SHIFT[args.unaccented]
    meta = model.metadata
    meta["training"]["bias_shift"] = BIAS_SHIFT[args.unaccented]
    meta["training"]["lower_copies"] = LOWER_COPIES[args.unaccented]
    meta["description"] = DESCRIPTIONS[args.unaccented]
    meta["data"] = (
        "VLSP 2013 word segmentation and POS training sets (research use; see the model "
        "card); outside word lists as credited in NOTICE"
    )
    for entry in meta["training"].get("lists", []):
        entry["source"] = LISTS[entry["name"]]
    if source and "countries" in meta["training"]:
        meta["training"]["countries"].update(source)
    if COUNTRIES[args.unaccented]:
        more, more_source = rdr_country_names(args.data / "lexicons" / RDR)
        added = sorted(set(more) - set(model.spec.countries))
        model = model.with_countries(added)
        meta = model.metadata  # (a copy: the model above is done with)
        meta["training"]["countries_added"] = {"names": len(added), **more_source}
    entries = {k: [e[0] for e in read_word_list(f) if len(e) == 1] for k, f in names.items()}
    flags = syllable_flags(model.vocabulary, training, **entries)
    meta["training"]["syllable_flags"] = {
        "source": "RDRsegmenter (datquocnguyen/RDRsegmenter, Vocabulary.java), Apache-2.0: "
        + ", ".join(NAME_LISTS.values())
        + "; unglued syllables from the training sentences",
        **{k: int(np.count_nonzero(flags & getattr(SyllableFlag, k.upper()))) for k in
           ("family", "middle", "opener", "unglued", "sentence_end")},
    }  # fmt: skip
    meta["weights"] = "8-bit codes into a codebook of 256 values (Model.quantized)"
    model.with_syllable_flags(flags).quantized().save(args.output)


if __name__ == "__main__":
    sys.exit(main())
