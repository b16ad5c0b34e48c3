"""Part-of-speech tagging: accuracy, robustness and speed of the bundled tagger.

* Accuracy on vlsp2013_pos_test.txt with the gold words (all words, and words never seen in
  the training file), and on raw text: the gold words detokenized, segmented and tagged by
  tieng, where a word counts when its span and tag are both right (span+tag F1).
* Robustness: the same test with its words in the modern tone style (hòa, thủy), in ALL
  CAPS, in lower case and without diacritics, with the gold words and from raw text.
* Speed on ONE core: words/s tagged in process with the gold words (best of --runs), and
  `tieng tag` against `tieng segment` on the same raw text (the test set repeated to
  >= --min-syllables syllables), end to end.
Usage: python benchmarks/tagging.py [--data DIR] [--runs K] [--min-syllables N] [--tagger FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tieng import Segmenter, Tagger
from tieng.normalization import normalize, remove_diacritics
from tieng.tagging import word_key
from tieng.training.evaluation import detokenize, evaluate_tags
from tieng.training.tagger import read_tagged

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def one_core(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def accuracy(tagger: Tagger, sents, seen: set[str]) -> tuple[float, float, int]:
    got = tagger.tag_words([[w for w, _ in s] for s in sents])
    right = total = unk_right = unk = 0
    for s, g in zip(sents, got):
        for (w, t), p in zip(s, g):
            total += 1
            right += t == p
            if word_key(w) not in seen:
                unk += 1
                unk_right += t == p
    return 100 * right / total, 100 * unk_right / max(unk, 1), unk


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--min-syllables", type=int, default=1_000_000)
    p.add_argument("--tagger", help="tagger model file (default: the bundled one)")
    args = p.parse_args()
    test = read_tagged(args.data / "vlsp2013_pos_test.txt")
    train = read_tagged(args.data / "vlsp2013_pos_train.txt")
    seen = {word_key(w) for s in train for w, _ in s}
    tagger = Tagger(args.tagger)
    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"# {time.strftime('%Y-%m-%d')}, tagger {tagger!r}")

    acc, unk_acc, unk = accuracy(tagger, test, seen)
    n_words = sum(map(len, test))
    print(f"gold words: accuracy {acc:.2f} ({n_words} words); unseen words {unk_acc:.2f} ({unk})")

    seg = Segmenter(tagger=tagger)
    raw = [detokenize(" ".join(w.replace(" ", "_") for w, _ in s)) for s in test]
    gold_lines = [" ".join(f"{w.replace(' ', '_')}/{t}" for w, t in s) for s in test]
    pred = list(seg.pipe_text(raw, tags=True))
    s = evaluate_tags(gold_lines, pred)
    print(
        f"raw text: span+tag F1 {s.f1:.2f} (P {s.precision:.2f}, R {s.recall:.2f}); "
        f"segmentation F1 {s.segmentation_f1:.2f}"
    )

    # The robustness table: each variant applied to the gold words (accuracy with the gold
    # words) and to the raw text and the gold alike (span+tag F1 from raw text).
    variants = {
        "as written": lambda w: w,
        "modern tone style": lambda w: normalize(w, "modern"),
        "ALL CAPS": lambda w: w.upper(),
        "lower case": lambda w: w.lower(),
        "without diacritics": remove_diacritics,
    }
    print("| variant | gold words: accuracy | unseen words | raw text: span+tag F1 |")
    print("|---|---:|---:|---:|")
    for name, f in variants.items():
        changed = [[(f(w), t) for w, t in s] for s in test]
        a, u, _ = accuracy(tagger, changed, seen)
        gold_v = [" ".join(f"{w.replace(' ', '_')}/{t}" for w, t in s) for s in changed]
        raw_v = [detokenize(" ".join(w.replace(" ", "_") for w, _ in s)) for s in changed]
        f1 = evaluate_tags(gold_v, list(seg.pipe_text(raw_v, tags=True))).f1
        print(f"| {name} | {a:.2f} | {u:.2f} | {f1:.2f} |")

    words = [[w for w, _ in s] for s in test]
    tagger.tag_words(words)
    best = float("inf")
    for _ in range(args.runs):
        t0 = time.process_time()
        tagger.tag_words(words)
        best = min(best, time.process_time() - t0)
    rate = n_words / best / 1e6
    print(f"speed, gold words in process: {rate:.2f} M words/s (best of {args.runs})")

    with tempfile.TemporaryDirectory() as tmp:
        text = "\n".join(raw) + "\n"
        syllables = len(text.split())
        path = Path(tmp) / "raw.txt"
        path.write_text(text * max(1, -(-args.min_syllables // syllables)), encoding="utf-8")
        total = len(path.read_text(encoding="utf-8").split())
        exe = [sys.executable, "-m", "tieng"]
        extra = ["--tagger", args.tagger] if args.tagger else []
        runs: dict[str, list[float]] = {"segment": [], "tag": []}
        for _ in range(args.runs):  # alternately: the machine's load changes
            for cmd in runs:
                out = ["-o", f"{tmp}/out", *(extra if cmd == "tag" else [])]
                t0 = time.perf_counter()
                subprocess.run(one_core([*exe, cmd, str(path), "-j", "1", "-q", *out]), check=True)
                runs[cmd].append(time.perf_counter() - t0)
        times = {cmd: min(r) for cmd, r in runs.items()}
        for cmd, t in times.items():
            rate = total / t / 1e6
            print(f"tieng {cmd} -j 1: {t:.2f} s (best of {args.runs}), {rate:.2f} M syl/s")
        print(f"tieng tag / tieng segment: {times['tag'] / times['segment']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
