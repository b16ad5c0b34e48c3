"""How much a model trained with outside word lists leans on each of them, on a dev fold.

Scores a held-out model (from scripts/tune_treebank_weight.py --lexicon ... --save) on its
treebank-style dev fold as it is, then with each word list emptied in turn (its features
then say "no entry" everywhere), and with all of them emptied. This is not an ablation (the
model was trained with every list); it shows what the trained model draws from each.
Usage: python scripts/word_list_knockout.py MODEL --dev-fold K [--data DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devfold import in_dev_fold

from tieng import Segmenter
from tieng.model import Model
from tieng.training.evaluation import evaluate
from tieng.training.segmenter import read_corpus

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _without(model: Model, drop: set[int]) -> Model:
    assert model._lists is not None
    return Model(
        model.vocabulary,
        model.lexicon,
        model.weights,
        model.bias,
        model.spec,
        model.metadata,
        model.classes,
        model._lists.without(drop),
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model", type=Path)
    p.add_argument("--dev-fold", type=int, required=True, choices=range(5))
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = p.parse_args()
    ws = read_corpus(args.data / "vlsp2013_ws_train.txt")
    dev = [s for i, s in enumerate(ws) if in_dev_fold(i, args.dev_fold)]
    gold = [" ".join(s) for s in dev]
    raw = [" ".join(w.replace("_", " ") for w in s) for s in dev]
    model = Model.load(args.model)
    names = model.spec.lists
    settings = [("all lists", set())]
    settings += [(f"without {n}", {i}) for i, n in enumerate(names)]
    settings += [("without any list", set(range(len(names))))]
    for label, drop in settings:
        seg = Segmenter(_without(model, drop), pretokenized=True)
        print(f"dev fold {args.dev_fold}, {label}: {evaluate(gold, seg.pipe_text(raw))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
