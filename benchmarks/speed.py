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

Then, in one process on one core, how tieng is called (the VLSP 2013 test lines cycled to
300,000 syllables, each figure the best of several rounds, ratios within the same process so
that the machine's mood cancels): the batch path ``seg.pipe_text(lines)``, a loop of
``seg.segment_text(line)``, of ``seg(line)`` and of ``seg(line, tags=True)``, the ratio of
each to the batch, and one short sentence's call in microseconds.  Last, the start: ``tieng
segment`` on one sentence against ``python -c "import numpy"``, run in turn.

Usage: python benchmarks/speed.py [--data DIR] [--min-syllables N] [--runs K] [--model FILE]
                                  [--pure] [--per-call-only]
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

from tieng.training.evaluation import detokenize

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


def per_call(test: Path, rounds: int) -> None:
    """The per-call table, measured in this process (run it pinned to one core)."""
    import timeit

    import tieng

    gold = [ln for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
    base = [detokenize(g) for g in gold]
    lines: list[str] = []
    total = 0
    while total < 300_000:
        for line in base:
            lines.append(line)
            total += len(line.split())
            if total >= 300_000:
                break
    seg = tieng.Segmenter()
    for line in lines[:2000]:  # warm the caches (codes, the tagger's words) as a service would
        seg(line, tags=True)

    def best(fn, n: int = rounds) -> float:
        return min(timeit.repeat(fn, number=1, repeat=n))

    def run_batch():
        for _ in seg.pipe_text(lines):
            pass

    def run_text():
        for line in lines:
            seg.segment_text(line)

    def run_doc():
        for line in lines:
            seg(line)

    tag_lines = lines[: len(lines) // 4]
    tag_syllables = sum(len(line.split()) for line in tag_lines)

    def run_tags():
        for line in tag_lines:
            seg(line, tags=True)

    # Interleaved (batch, the others, batch again), so that drift shows as a spread.
    batch = [best(run_batch, 1) for _ in range(rounds)]
    text = best(run_text)
    batch += [best(run_batch, 1) for _ in range(rounds)]
    doc = best(run_doc)
    tags = best(run_tags) * total / tag_syllables
    short = "Tôi yêu Việt Nam."
    n = 20_000
    one = best(lambda: [seg.segment_text(short) for _ in range(n)]) / n
    b = min(batch)
    print(f"per call, one process on one core ({total:,} syllables, {len(lines):,} lines):")
    print(f"  seg.pipe_text(lines)             {total / b / 1e6:.2f} M syllables/s (batch)")
    for name, t in (
        ("seg.segment_text(line) per line", text),
        ("seg(line) per line", doc),
        ("seg(line, tags=True) per line", tags),
    ):
        print(f"  {name:<32} {total / t / 1e6:.2f} M syllables/s = {b / t:.2f}x batch")
    print(f'  seg.segment_text("{short}")   {one * 1e6:.1f} us a call')


def start_up(rounds: int, env: dict) -> None:
    """``tieng segment`` on one sentence, and ``python -c "import numpy"``, in turn."""
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.txt"
        one.write_text("Tôi yêu Việt Nam.\n", encoding="utf-8")
        cli = one_core([sys.executable, "-m", "tieng", "segment", str(one)])
        numpy = one_core([sys.executable, "-c", "import numpy"])
        a, b = [], []
        for _ in range(rounds):
            a.append(timed(cli, env=env, stdout=subprocess.DEVNULL)[0])
            b.append(timed(numpy, env=env)[0])
    ma, mb = statistics.median(a), statistics.median(b)
    print(
        f"start: tieng segment one sentence {ma:.3f} s, python -c 'import numpy' {mb:.3f} s "
        f"(medians of {rounds}, in turn): {ma - mb:.3f} s more"
    )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--min-syllables", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--model", type=Path, help="model file (default: the bundled model)")
    p.add_argument("--pure", action="store_true", help="without the compiled helpers")
    p.add_argument(
        "--per-call-only", action="store_true", help="only the per-call table (this process)"
    )
    args = p.parse_args()
    if args.per_call_only:
        per_call(args.data / "vlsp2013_ws_test.txt", max(args.runs, 3))
        return 0
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
    sys.stdout.flush()
    per = [sys.executable, __file__, "--per-call-only", "--data", str(args.data)]
    subprocess.run(one_core([*per, "--runs", str(args.runs)]), env=env, check=True)
    start_up(max(args.runs, 9), env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
