"""End-to-end speed on ONE core: raw text -> segmented text through the `tieng` command.

Input: the VLSP 2013 test set detokenized (raw news text), repeated to >= 1,000,000 syllables
(the issue asks for >= 300,000; more repeats make the one-off start-up weigh less).
Reports syllables/s end to end (process start, model loading and writing included), the same
with start-up left out (total time minus the cold start), the cold start (process start ->
first sentence segmented) and peak RSS.
With --pure the `tieng` processes run without the compiled helpers (TIENG_PURE_PYTHON=1).
The package's modules are byte-compiled first, as `pip install` leaves them: an editable
install run with PYTHONDONTWRITEBYTECODE=1 (as on this project's machine) would otherwise
compile them from source at every start (about 18 ms here).
Usage: python benchmarks/speed.py [--data DIR] [--min-syllables N] [--runs K] [--model FILE]
                                  [--pure]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tieng.evaluation import detokenize

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


# Byte-compile the installed package where it lies (what pip does at install time).
_COMPILE = """
import compileall, pathlib, tieng
print('yes' if compileall.compile_dir(pathlib.Path(tieng.__file__).parent, quiet=2) else 'no')
"""


def one_core(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def timed(cmd: list[str], **kw) -> tuple[float, int]:
    """Wall time of a child process, and the peak RSS (kB) of the largest child so far."""
    t = time.perf_counter()
    subprocess.run(cmd, check=True, **kw)
    dt = time.perf_counter() - t
    return dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--min-syllables", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    p.add_argument("--pure", action="store_true", help="without the compiled helpers")
    args = p.parse_args()
    env = dict(os.environ)
    env.pop("TIENG_PURE_PYTHON", None)
    if args.pure:
        env["TIENG_PURE_PYTHON"] = "1"
    test = args.data / "vlsp2013_ws_test.txt"
    if not test.is_file():
        print(f"speed: {test} not found (pass --data)", file=sys.stderr)
        return 2
    gold = [ln for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
    syllables = sum(len(w.split("_")) for g in gold for w in g.split())
    reps = -(-args.min_syllables // syllables)
    raw = "\n".join(detokenize(g) for g in gold) + "\n"
    compiled = subprocess.run(
        [sys.executable, "-c", _COMPILE], env=env, capture_output=True, text=True
    ).stdout.strip()
    tieng_cmd = [sys.executable, "-m", "tieng"]
    model = ["--model", str(args.model)] if args.model else []
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.txt"
        src.write_text(raw * reps, encoding="utf-8")
        out = Path(tmp) / "out.txt"
        total = syllables * reps
        times = []
        peak = 0
        for _ in range(args.runs):
            # A fresh process each run: the total includes start-up and model loading.
            cmd = [*tieng_cmd, "segment", *model, str(src), "-o", str(out)]
            dt, rss = timed(one_core(cmd), env=env)
            times.append(dt)
            peak = max(peak, rss)
        first = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới.\n"
        colds = [
            timed(
                one_core([*tieng_cmd, "segment", *model]),
                input=first.encode(),
                stdout=subprocess.DEVNULL,
                env=env,
            )[0]
            for _ in range(5)
        ]
    best = min(times)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.processor() or ''}"
        f" Python {platform.python_version()}"
    )
    print(
        f"input: {len(raw.encode()) * reps / 1e6:.1f} MB, "
        f"{total:,} syllables ({reps} x VLSP 2013 test, detokenized)"
    )
    print(
        f"end to end, one core: {best:.2f} s (median {statistics.median(times):.2f} s) "
        f"= {total / best:,.0f} syllables/s"
    )
    cold = statistics.median(colds)
    print(f"steady state, one core: {total / (best - cold):,.0f} syllables/s (start-up left out)")
    print(f"cold start (process start -> first sentence): median {cold:.3f} s")
    print(f"peak RSS: {peak / 1024:.0f} MB")
    probe = "import tieng._accel as a; print('on' if a.speedups else 'off')"
    state = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    print(f"compiled helpers: {state.stdout.strip()}; package byte-compiled: {compiled or 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
