"""Calibrate a model's confidences on the treebank-style dev split, and write them into a model.

The join probability of a gap is ``sigmoid(scale * score + shift)``; a word's confidence is
the product of the probabilities of its gaps, mapped once more by
``sigmoid(word_scale * logit(p) + word_shift)``.  ``scale`` and ``shift`` are fitted (Platt
scaling: least log-loss) on the gaps of the treebank-style dev split (see
scripts/tune_treebank_weight.py), scored by a model that did NOT see that split, such as the
one ``tune_treebank_weight.py --weight 20 --save held_out.tieng`` writes; ``word_scale`` and
``word_shift`` are then fitted the same way on the dev words.  The fitted values go into the
metadata of TARGET (the bundled model, trained the same way on all the data).

Usage: python scripts/calibrate.py HELD_OUT.tieng [--write TARGET.tieng] [--data DIR]
                                  [--bias-shift X]
Prints reliability tables (gaps and words, per confidence bin) before and after.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from devfold import in_dev_fold

from tieng import Model, Segmenter
from tieng.calibration import Calibration
from tieng.training.segmenter import read_corpus, sentence_tokens

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BINS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0001)


def dev_split(data: Path) -> list[list[str]]:
    ws = read_corpus(data / "vlsp2013_ws_train.txt")
    return [s for i, s in enumerate(ws) if in_dev_fold(i, 0)]


def gap_scores(model: Model, dev: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Join scores and gold joins of the model-decided gaps of ``dev`` (pre-tokenized)."""
    toks: list[str] = []
    gold: list[bool] = []
    breaks: list[bool] = []
    for s in dev:
        t, j = sentence_tokens(s)
        toks += t
        gold += j
        breaks += [True] + [False] * (len(t) - 1)
    scores = model.join_scores(model.vocabulary.codes(toks), np.array(breaks))
    live = np.isfinite(scores)
    return scores[live].astype(np.float64), np.array(gold)[live]


def fit(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """Platt scaling: the ``(scale, shift)`` of least log-loss."""
    from scipy.optimize import minimize

    y = gold.astype(np.float64)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] * scores + theta[1]
        err = 1.0 / (1.0 + np.exp(-z)) - y
        value = float((np.logaddexp(0.0, z) - y * z).sum())
        return value, np.array([(err * scores).sum(), err.sum()])

    res = minimize(loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B")
    return float(res.x[0]), float(res.x[1])


def reliability(conf: np.ndarray, right: np.ndarray, title: str) -> float:
    """Print accuracy per confidence bin; returns the expected calibration error."""
    print(f"\n{title}\n| confidence | count | share | mean confidence | accuracy |")
    print("|---|---:|---:|---:|---:|")
    ece = 0.0
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        m = (conf >= lo) & (conf < hi)
        if not m.any():
            continue
        c, acc = conf[m].mean(), right[m].mean()
        ece += m.mean() * abs(c - acc)
        print(f"| {lo:.3f}-{min(hi, 1.0):.3f} | {m.sum()} | {m.mean():.2%} | {c:.4f} | {acc:.4f} |")
    print(f"expected calibration error: {ece:.5f}")
    return ece


def word_outcomes(seg: Segmenter, dev: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Confidence of every predicted dev word, and whether it is a gold word."""
    conf, right = [], []
    raw = (" ".join(w.replace("_", " ") for w in s) for s in dev)
    for s, words in zip(dev, (d.words for d in seg.pipe(raw, confidence=True))):
        gold, pos = set(), 0
        for w in s:
            n = len(w.replace("_", " "))
            gold.add((pos, pos + n))
            pos += n + 1
        for w in words:
            conf.append(w.confidence)
            right.append((w.start, w.end) in gold)
    return np.array(conf), np.array(right)


def word_reliability(seg: Segmenter, dev: list[list[str]], title: str) -> float:
    return reliability(*word_outcomes(seg, dev), title)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1 - 1e-12)  # certain words (p = 1) are left as they are at run time
    return np.log(p) - np.log1p(-p)


def fit_words(conf: np.ndarray, right: np.ndarray) -> tuple[float, float]:
    """Platt scaling of the words' logit confidences (certain words left out)."""
    live = conf < 1.0
    return fit(logit(conf[live]), right[live])


def word_map(conf: np.ndarray, a: float, b: float) -> np.ndarray:
    return np.where(conf < 1.0, 1.0 / (1.0 + np.exp(-(a * logit(conf) + b))), 1.0)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("held_out", type=Path, help="a model trained without the dev split")
    p.add_argument("--write", type=Path, help="model file to store the calibration in")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument(
        "--bias-shift",
        type=float,
        default=0.0,
        help="add this to the held-out model's bias first, as build_model.py does to the "
        "bundled model (default 0)",
    )
    args = p.parse_args()
    dev = dev_split(args.data)
    model = Model.load(args.held_out)
    model.bias += args.bias_shift
    model.calibration = None
    scores, gold = gap_scores(model, dev)
    print(f"{len(dev)} dev sentences, {len(scores)} decided gaps")

    def decided(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        pj = 1.0 / (1.0 + np.exp(-(a * scores + b)))
        return np.maximum(pj, 1 - pj), (pj > 0.5) == gold

    reliability(*decided(1.0, 0.0), "Gaps, raw model probabilities")
    word_reliability(Segmenter(model, pretokenized=True), dev, "Words, raw")
    a, b = fit(scores, gold)
    print(f"\nfitted: scale {a:.4f}, shift {b:.4f}")
    model.calibration = Calibration(scale=round(a, 4), shift=round(b, 4))
    reliability(*decided(a, b), "Gaps, calibrated")
    conf, right = word_outcomes(Segmenter(model, pretokenized=True), dev)
    reliability(conf, right, "Words, gaps calibrated")
    # Word level: the product of the gap probabilities, mapped once more.  Judged by two-fold
    # cross-fitting over the dev words (each half mapped by the fit on the other half).
    half = np.arange(len(conf)) % 2 == 0
    crossed = np.empty_like(conf)
    for part in (half, ~half):
        crossed[part] = word_map(conf[part], *fit_words(conf[~part], right[~part]))
    reliability(crossed, right, "Words, gaps and words calibrated (two-fold cross-fit)")
    wa, wb = fit_words(conf, right)
    print(f"\nfitted on all dev words: word_scale {wa:.4f}, word_shift {wb:.4f}")
    if args.write:
        target = Model.load(args.write)
        target.calibration = Calibration(
            scale=round(a, 4),
            shift=round(b, 4),
            word_scale=round(wa, 4),
            word_shift=round(wb, 4),
            fitted_on="treebank-style dev split of vlsp2013_ws_train.txt "
            f"({len(dev)} sentences), scored by a model trained without it",
        )
        target.save(args.write)
        print(f"wrote the calibration into {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
