"""No pathological cost: time(2n) / time(n) for inputs that break naive tokenizers.

Each case is segmented at size n and 2n (library, `Segmenter.segment_text`, and the CLI for
the line-oriented cases); a ratio near 2 means linear time.  For the CLI the peak RSS of the
command is shown; for the library, the peak RSS of this process at the end.
Usage: python benchmarks/pathological.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tieng

LINE = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới. "


def cases(scale: float):
    mb = int(1_000_000 * scale)
    return {
        "50 MB single line": (lambda n: LINE * (n // len(LINE.encode()) + 1), 50 * mb),
        "1 million empty lines": (lambda n: "\n" * n, int(1_000_000 * scale)),
        "100,000 characters, no spaces": (lambda n: "ả" * n, int(100_000 * scale)),
        "10,000 punctuation marks": (lambda n: ".,;!?" * (n // 5), int(10_000 * scale)),
        "1 MB URL": (lambda n: "https://vi.wikipedia.org/wiki/" + "a_b." * (n // 4), mb),
        "1 MB of combining marks (Zalgo text)": (
            lambda n: ("r" + "\u0317\u0318\u0301" * 8 + "_ ") * (n // 27),
            mb,
        ),
    }


def timed(fn) -> float:
    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


# The CLI, reporting its own peak RSS (VmHWM) on a pipe when it exits.  The
# rusage of a child is no use here: it counts the memory of this process at fork time.
_CLI = """
import atexit, os, sys
from tieng.cli import main
def report():
    with open("/proc/self/status") as f:
        kb = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))
    os.write(int(os.environ["HWM_FD"]), str(kb).encode())
atexit.register(report)
sys.exit(main(sys.argv[1:]))
"""


def run_cli(args: list[str]) -> tuple[float, float]:
    """Best wall time of two runs of ``tieng ARGS``, and its peak RSS in MB."""
    best, peak = float("inf"), 0.0
    for _ in range(2):
        r, w = os.pipe()
        t = time.perf_counter()
        env = {**os.environ, "HWM_FD": str(w)}
        proc = subprocess.Popen([sys.executable, "-c", _CLI, *args], pass_fds=(w,), env=env)
        os.close(w)
        with os.fdopen(r) as f:
            kb = f.read()
        if proc.wait() != 0:
            raise SystemExit(f"tieng {args} failed with status {proc.returncode}")
        best = min(best, time.perf_counter() - t)
        peak = max(peak, int(kb) / 1024)
    return best, peak


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=float, default=1.0)
    args = p.parse_args()
    seg = tieng.Segmenter()
    seg.segment_text("khởi động")
    print(f"machine: {platform.machine()}, Python {platform.python_version()}")
    worst = 0.0
    for name, (make, n) in cases(args.scale).items():
        small, big = make(n), make(2 * n)
        t1 = timed(lambda s=small: seg.segment_text(s))
        t2 = timed(lambda s=big: seg.segment_text(s))
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for label, text in (("n", small), ("2n", big)):
                f = Path(tmp) / f"{label}.txt"
                f.write_text(text, encoding="utf-8")
                paths.append(f)
            cli = ["segment", "--jobs", "1", "-q"]
            (c1, m1), (c2, m2) = (run_cli([*cli, str(f), "-o", f"{f}.out"]) for f in paths)
        ratio, cli_ratio = t2 / t1, c2 / c1
        worst = max(worst, ratio, cli_ratio)
        print(
            f"{name:30s} library {t1:7.3f} s -> {t2:7.3f} s (x{ratio:.2f});"
            f" CLI {c1:6.2f} s -> {c2:6.2f} s (x{cli_ratio:.2f}), peak RSS {m1:.0f} -> {m2:.0f} MB",
            flush=True,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"worst ratio x{worst:.2f}; peak RSS of this process (library runs) {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
