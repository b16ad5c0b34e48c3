"""Fit the temperature of a restorer's probabilities on held-out text.

Each syllable with several candidates gets the probability softmax(scores * scale / T) for its
written form; T minimizes their negative log-likelihood over the dev lines, with models
that did not see them (scripts/build_restorer.py --dev-fold K).  Prints T and the expected
calibration error (ECE, 10 bins) before and after; --write FILE puts T into a model file.

Usage: python scripts/calibrate_restorer.py HELD_OUT.tieng:FOLD [...] [--write MODEL]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
from devfold import in_dev_fold

from tieng.normalization import remove_diacritics
from tieng.restoration import Restorer, RestorerModel

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LETTERS = re.compile(r"[^\W\d_]+")


def scored(model: RestorerModel, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """For each syllable the model read on dev fold ``fold``: its probability of the choice at
    T=1 as a logit margin table, and whether the choice was right."""
    with open(DATA / "vlsp2013_ws_train.txt", encoding="utf-8") as f:
        dev = [x.rstrip("\n").replace("_", " ") for i, x in enumerate(f) if in_dev_fold(i, fold)]
    dev = [x for x in dev if x.strip()]
    r = Restorer(model)
    margins, right = [], []
    for gold in dev:
        for syl in r.syllables(remove_diacritics(gold), confidence=True):
            p = min(max(syl.confidence, 1e-12), 1 - 1e-12)
            margins.append(np.log(p / (1 - p)))  # the chosen form's logit at T=1
            right.append(gold[syl.start : syl.end].lower() == syl.text.lower())
    return np.array(margins), np.array(right)


def ece(p: np.ndarray, right: np.ndarray) -> float:
    bins = np.minimum((p * 10).astype(int), 9)
    return float(
        sum(
            abs(p[bins == b].mean() - right[bins == b].mean()) * (bins == b).mean()
            for b in range(10)
            if (bins == b).any()
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("held", nargs="+", help="MODEL:FOLD")
    ap.add_argument("--write")
    args = ap.parse_args()
    held = [(RestorerModel.load(p), int(k)) for p, k in (x.rsplit(":", 1) for x in args.held)]
    ms, rs = zip(*(scored(model, fold) for model, fold in held))
    m, r = np.concatenate(ms), np.concatenate(rs)

    def nll(t: float) -> float:
        p = 1 / (1 + np.exp(-m / t))
        return float(-np.mean(np.where(r, np.log(p + 1e-12), np.log(1 - p + 1e-12))))

    grid = np.exp(np.linspace(np.log(0.3), np.log(30), 200))
    t = float(grid[np.argmin([nll(x) for x in grid])])
    # (the fit treats each choice as one against the rest; the ECE at T is the models' own)
    at_t = [scored(dataclasses.replace(model, temperature=t), fold) for model, fold in held]
    mt = np.concatenate([x for x, _ in at_t])
    p1, pt = 1 / (1 + np.exp(-m)), 1 / (1 + np.exp(-mt))
    print(
        f"{len(m)} syllables, accuracy {100 * r.mean():.2f}; temperature {t:.3f}; "
        f"ECE {ece(p1, r):.4f} at 1, {ece(pt, r):.4f} at T"
    )
    if args.write:
        model = RestorerModel.load(args.write)
        dataclasses.replace(model, temperature=round(t, 4)).save(args.write)
        print(f"wrote the temperature into {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
