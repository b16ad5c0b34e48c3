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
Usage: python scripts/build_model.py [--data DIR] [-o FILE] [--unaccented]

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

from country_names import country_names
from devfold import TREEBANK_START

from tieng import Model
from tieng.cli import main as tieng_main
from tieng.training.segmenter import read_corpus

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TREEBANK_WEIGHT = 20.0  # chosen on the treebank-style dev split (benchmarks/RESULTS.md)
# Affix templates and token keys version 2 are train()'s defaults; they and the 256 syllable
# classes were chosen on the treebank-style dev split (docs/REPORT.md).
SETTINGS = [
    *("--l2", "1.0", "--hash-bits", "22", "--max-iter", "400", "--folds", "5"),
    *("--classes", "256"),
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
    args = p.parse_args()
    if args.output is None:
        name = "vlsp2013-unaccented.tieng" if args.unaccented else "vlsp2013.tieng"
        args.output = ROOT / "src" / "tieng" / "models" / name
    ws = args.data / "vlsp2013_ws_train.txt"
    pos = args.data / "vlsp2013_pos_train.txt"
    test = args.data / "vlsp2013_ws_test.txt"
    lists = [args.data / "lexicons" / f"{name}.txt" for name in LISTS]
    for f in (ws, pos, test, *lists):
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
    print(
        f"build_model: {len(other)} sentences weight 1, {len(treebank)} treebank-style "
        f"sentences weight {TREEBANK_WEIGHT}",
        file=sys.stderr,
    )
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name, lines in (("ws_other.txt", other), ("treebank_style.txt", treebank)):
            files.append(Path(tmp) / name)
            files[-1].write_text("\n".join(lines) + "\n", encoding="utf-8")
        weights = ["--weights", "1", str(TREEBANK_WEIGHT)]
        view = ["--unaccented"] if args.unaccented else []
        lexicons = [x for f in lists for x in ("--lexicon", str(f))]
        command = ["train", *map(str, files), "-o", str(args.output), *SETTINGS]
        lists = [*lexicons, "--list-version", str(LIST_VERSION[args.unaccented])]
        foreign = ["--foreign"] if FOREIGN[args.unaccented] else []
        countries: list[str] = []
        if COUNTRIES[args.unaccented]:
            names, source = country_names()
            path = Path(tmp) / "countries.txt"
            path.write_text("\n".join(names) + "\n", encoding="utf-8")
            countries = ["--countries", str(path)]
        code = tieng_main([*command, *weights, *view, *lists, *foreign, *countries])
    if code:
        return code
    # Say in the model what it is and where its word lists come from (tieng info shows it).
    model = Model.load(args.output)
    model.bias += BIAS_SHIFT[args.unaccented]
    model.metadata["training"]["bias_shift"] = BIAS_SHIFT[args.unaccented]
    model.metadata["description"] = DESCRIPTIONS[args.unaccented]
    model.metadata["data"] = (
        "VLSP 2013 word segmentation and POS training sets (research use; see the model "
        "card); outside word lists as credited in NOTICE"
    )
    for entry in model.metadata["training"].get("lists", []):
        entry["source"] = LISTS[entry["name"]]
    if COUNTRIES[args.unaccented]:
        model.metadata["training"]["countries"].update(source)
    model.save(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
