"""Corpus-scale throughput: `tieng segment` on a generated >= 1 GB file, --jobs 1 vs --jobs 2.

The input is the VLSP 2013 test set detokenized (raw news text) repeated to the target size.
For each run: wall time, syllables/s, MB/s, and the peak RSS of the whole process tree (the
`tieng` process and its workers, sampled from /proc every 0.5 s).
Usage: python benchmarks/corpus.py [--data DIR] [--size-mb 1100] [--jobs 1 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tieng.training.evaluation import detokenize

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_peak_rss(proc: subprocess.Popen, peak: list[int]) -> None:
    while proc.poll() is None:
        todo, total = [proc.pid], 0
        while todo:
            p = todo.pop()
            total += _rss_kb(p)
            todo += _children(p)
        peak[0] = max(peak[0], total)
        # Every half second: memory stays flat over a run, and sampling the process tree
        # costs CPU that, with --jobs 2, the workers would miss (it ran every 50 ms until
        # 2026-12-01, about 1% of a core).
        time.sleep(0.5)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--size-mb", type=int, default=1100)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    test = args.data / "vlsp2013_ws_test.txt"
    if not test.is_file():
        print(f"corpus: {test} not found (pass --data)", file=sys.stderr)
        return 2
    gold = [ln for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
    block = ("\n".join(detokenize(g) for g in gold) + "\n").encode("utf-8")
    syllables = sum(len(w.split("_")) for g in gold for w in g.split())
    reps = -(-args.size_mb * 10**6 // len(block))
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        src = Path(tmp) / "corpus.txt"
        with open(src, "wb") as f:
            for _ in range(reps):
                f.write(block)
        size = src.stat().st_size
        total = syllables * reps
        print(f"input: {size / 1e6:,.0f} MB, {total:,} syllables", flush=True)
        results = {}
        for jobs in args.jobs:
            out = Path(tmp) / f"out{jobs}.txt"
            cmd = [sys.executable, "-m", "tieng", "segment", str(src), "-o", str(out),
                   "--jobs", str(jobs), "--quiet"]  # fmt: skip
            peak = [0]
            t = time.perf_counter()
            proc = subprocess.Popen(cmd)
            watcher = threading.Thread(target=tree_peak_rss, args=(proc, peak))
            watcher.start()
            proc.wait()
            watcher.join()
            dt = time.perf_counter() - t
            if proc.returncode != 0:
                print(f"corpus: run with --jobs {jobs} failed", file=sys.stderr)
                return 1
            results[jobs] = dt
            print(
                f"--jobs {jobs}: {dt:.1f} s, {total / dt:,.0f} syllables/s, "
                f"{size / 1e6 / dt:.1f} MB/s, peak RSS of the process tree {peak[0] / 1024:.0f} MB",
                flush=True,
            )
            out.unlink()
        if 1 in results and 2 in results:
            print(f"speed-up --jobs 2 vs --jobs 1: {results[1] / results[2]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
