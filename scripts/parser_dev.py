"""Issue 42, groundwork: train the transition parser on UD Vietnamese-VTB and score it on its
dev set, with gold words and the tags of tieng's bundled tagger.

The tagger saw 813 of the 1,123 dev sentences (they are in vlsp2013_pos_train.txt), so the
scores are also given on the 310 it did not see (matched as the data README says: case,
spaces and punctuation ignored).  Training uses the tagger's tags too (not jackknifed yet: it
saw 1,377 of the 1,400 training sentences).

With --calibrate, the temperatures of the arcs' confidences are fitted on dev (the negative
log-likelihood of the arcs being right, on a grid), printed with the expected calibration error,
and with --write FILE put into that model file (the bundled parser's).

Usage: python scripts/parser_dev.py [--data DIR] [--epochs N] [-o FILE] [--calibrate]
                                    [--write FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

import numpy as np

from tieng import Tagger
from tieng.parsing import ParserModel
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
    ap.add_argument("--calibrate", action="store_true")
    ap.add_argument("--write", type=Path, help="put the fitted temperatures into this model")
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
    if args.calibrate:
        calibrate(model, dev, args.write)
    return 0


def _arcs(model: ParserModel, dev: list) -> tuple[np.ndarray, np.ndarray]:
    conf, right = [], []
    for s in dev:
        heads, rels, cs = model.parse_scored([w for w, *_ in s], [t for _, t, *_ in s])
        conf += cs
        right += [h == g and r == gr for h, r, (_, _, g, gr) in zip(heads, rels, s)]
    return np.clip(np.array(conf), 1e-9, 1 - 1e-9), np.array(right)


def ece(p: np.ndarray, right: np.ndarray) -> float:
    bins = np.minimum((p * 10).astype(int), 9)
    return float(
        sum(abs(p[bins == b].mean() - right[bins == b].mean()) * (bins == b).mean()
            for b in range(10) if (bins == b).any())
    )  # fmt: skip


def calibrate(model: ParserModel, dev: list, write: Path | None) -> None:
    """Fit the move and relation temperatures on ``dev`` (a grid, by negative log-likelihood
    of each arc being right: its head and its relation)."""
    best = None
    for tm in np.geomspace(2, 400, 9):
        for tl in np.geomspace(2, 400, 9):
            m = dataclasses.replace(model, move_temperature=float(tm), label_temperature=float(tl))
            p, r = _arcs(m, dev)
            nll = float(-np.mean(np.where(r, np.log(p), np.log(1 - p))))
            if best is None or nll < best[0]:
                best = (nll, float(tm), float(tl), ece(p, r), float(r.mean()))
    assert best is not None
    nll, tm, tl, err, acc = best
    print(f"temperatures: moves {tm:.1f}, relations {tl:.1f}; NLL {nll:.4f}, ECE {err:.4f}, "
          f"arcs right {100 * acc:.2f}%")  # fmt: skip
    if write is not None:
        target = ParserModel.load(write)
        fitted = dataclasses.replace(target, move_temperature=tm, label_temperature=tl)
        fitted.save(write)
        print(f"wrote the temperatures into {write}")


if __name__ == "__main__":
    sys.exit(main())
