"""What a list of known words is worth: dev F1 with and without one.

The list is drawn from the treebank-style dev fold itself, so it is an upper bound for what
a real dictionary can bring: the multi-syllable dev words the model's lexicon lacks (all of
them, or a seeded share), and, to see the harm a poor list does, the same plus as many
syllable pairs that the dev gold splits ("nói về"). The last row gives that poor list as
user words, rules that always join, for comparison. The model must not have seen the dev
fold: save one with scripts/tune_treebank_weight.py --save.
Usage: python scripts/known_words_value.py HELD_OUT.tieng [--dev-fold K] [--data DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from devfold import in_dev_fold

from tieng import Segmenter, UserDictionary
from tieng.model import Model
from tieng.training.evaluation import evaluate
from tieng.training.segmenter import read_corpus

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("model", type=Path, help="a model trained without the dev fold")
    p.add_argument("--dev-fold", type=int, default=0, choices=range(5), metavar="K")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = p.parse_args()
    ws = read_corpus(args.data / "vlsp2013_ws_train.txt")
    dev = [s for i, s in enumerate(ws) if in_dev_fold(i, args.dev_fold)]
    model = Model.load(args.model)
    seg = Segmenter(model, pretokenized=True)
    words = sorted({w for s in dev for w in s if "_" in w})
    status = model.lexicon_status([w.split("_") for w in words])
    new = [w for w, st in zip(words, status) if st == "new"]
    pairs = sorted(
        {
            f"{a.split('_')[-1]} {b.split('_')[0]}"
            for s in dev
            for a, b in zip(s, s[1:])
            if a[-1:].isalpha() and b[:1].isalpha()
        }
        - {" ".join(w.split("_")[:2]) for w in words}
    )
    rng = random.Random(13)
    wrong = [
        w for w, st in zip(pairs, model.lexicon_status([w.split() for w in pairs])) if st == "new"
    ]
    wrong = rng.sample(wrong, min(len(new), len(wrong)))
    half = sorted(rng.sample(new, len(new) // 2))
    gold = [" ".join(s) for s in dev]
    raw = [" ".join(w.replace("_", " ") for w in s) for s in dev]
    print(
        f"dev fold {args.dev_fold}: {len(dev)} sentences, {len(new)} multi-syllable words new "
        "to the model's lexicon"
    )
    print("| known words | dev F1 | P | R |\n|---|---:|---:|---:|")
    for name, known, rules in (
        ("none", [], False),
        (f"half of the new dev words ({len(half)})", half, False),
        (f"all new dev words ({len(new)})", new, False),
        (f"all new dev words + {len(wrong)} pairs the gold splits", new + wrong, False),
        ("the same, as user words (rules)", new + wrong, True),
    ):
        d = UserDictionary(known, ()) if rules else UserDictionary(known=known)
        mine = seg.with_dictionary(d) if known else seg
        sc = evaluate(gold, mine.pipe_text(raw))
        print(f"| {name} | {sc.f1:.2f} | {sc.precision:.2f} | {sc.recall:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
