"""Issue 42, groundwork: train the transition parser on UD Vietnamese-VTB and score it on its
dev set, with gold words and the tags of tieng's bundled tagger.

The tagger saw 813 of the 1,123 dev sentences (they are in vlsp2013_pos_train.txt), so the
scores are also given on the 310 it did not see (matched as the data README says: case,
spaces and punctuation ignored).  Training uses the tagger's tags too (not jackknifed yet: it
saw 1,377 of the 1,400 training sentences).

Usage: python scripts/parser_dev.py [--data DIR] [--epochs N] [-o FILE]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tieng import Tagger
from tieng.training.parser import attachment_scores, read_conllu, train_parser

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
_LETTERS = re.compile(r"[^\W\d_]+")


def retagged(sents: list) -> list:
    """The trees with the tags of tieng's bundled tagger on their gold words."""
    tags = Tagger().tag_words([[w for w, *_ in s] for s in sents])
    return [[(w, t, h, r) for (w, _, h, r), t in zip(s, ts)] for s, ts in zip(sents, tags)]


def key(words: list[str]) -> str:
    return "".join(_LETTERS.findall(" ".join(words).lower()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args()
    train = retagged(read_conllu(str(args.data / "ud_vtb_train.conllu")))
    dev = retagged(read_conllu(str(args.data / "ud_vtb_dev.conllu")))
    seen = set()
    with open(args.data / "vlsp2013_pos_train.txt", encoding="utf-8") as f:
        for line in f:
            seen.add(key([tok.rsplit("/", 1)[0].replace("_", " ") for tok in line.split()]))
    unseen = [s for s in dev if key([w for w, *_ in s]) not in seen]
    model = train_parser(train, epochs=args.epochs, dev=dev, progress=print)
    if args.output:
        model.save(args.output)
    fresh = f"dev, the {len(unseen)} sentences the tagger never saw"
    for name, part in (("dev", dev), (fresh, unseen)):
        uas, las = attachment_scores(model, part)
        print(f"{name}: UAS {uas:.2f} LAS {las:.2f} (gold words, tieng's tags)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
