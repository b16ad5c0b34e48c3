"""Digests of everything tieng writes, for refactors that must not change a byte.

Runs the ``tieng`` command (segment and tag; text, JSON lines with confidences, CoNLL-U, with and
without --sentences) and the API (a call per line with every option, ``pipe``, ``pipe_text``)
over the VLSP 2013 test set made raw, the modern dev set in benchmarks/data, the fuzz seeds
and the naughty strings in tests/data, on the compiled and on the pure-Python path.  Prints one
SHA-256 a (path, input, output) and, with ``--save``/``--check``, writes or compares them.

Usage: python scripts/output_digest.py [--data DIR] [--src DIR] [--save FILE | --check FILE]
                                       [--quick]

``--src`` runs the tieng of another checkout's ``src`` (its compiled helpers built in place:
``python setup.py build_ext --inplace``), to digest the code before a change.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"

API = r"""
import hashlib, json, sys
import tieng
lines = open(sys.argv[1], encoding="utf-8", errors="surrogateescape").read().split("\n")
seg = tieng.Segmenter()
def h(obj):
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()
def doc(d):
    return [d.text, d.tagged, d.model, [list(w) for w in d.words],
            None if d.sentences is None else [[w.start for w in s] for s in d.sentences]]
out = {}
out["call"] = h([doc(seg(t)) for t in lines])
out["call+all"] = h([doc(seg(t, sentences=True, confidence=True, tags=True)) for t in lines])
out["call+tags"] = h([doc(seg(t, tags=True)) for t in lines])
out["call+conf"] = h([doc(seg(t, confidence=True)) for t in lines])
out["text"] = h([seg.segment_text(t) for t in lines])
out["text+tags"] = h([seg.segment_text(t, tags=True, sentence_lines=True) for t in lines])
out["pipe+all"] = h([doc(d) for d in seg.pipe(lines, sentences=True, confidence=True, tags=True)])
out["pipe"] = h([doc(d) for d in seg.pipe(lines)])
out["pipe_text"] = h(list(seg.pipe_text(lines)))
out["pipe_text+tags"] = h(list(seg.pipe_text(lines, tags=True)))
out["whole"] = h(doc(seg("\n".join(lines), tags=True, confidence=True)))
print(json.dumps(out))
"""

CLI = [
    ("segment", []),
    ("segment", ["--sentences"]),
    ("segment", ["--to", "jsonl", "--confidence"]),
    ("segment", ["--to", "conllu"]),
    ("tag", []),
    ("tag", ["--to", "jsonl", "--sentences"]),
    ("tag", ["--to", "conllu", "--sentences"]),
]


def inputs(data: Path, tmp: Path, quick: bool) -> dict[str, Path]:
    from tieng.training.evaluation import detokenize

    found: dict[str, Path] = {}
    test = data / "vlsp2013_ws_test.txt"
    if test.is_file():
        gold = [ln.strip() for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
        if quick:
            gold = gold[:300]
        raw = tmp / "vlsp_test.txt"
        raw.write_text("\n".join(detokenize(g) for g in gold) + "\n", encoding="utf-8")
        found["vlsp-test"] = raw
    modern = ROOT / "benchmarks" / "data" / "modern_dev.txt"
    rows = [
        ln.split("\t", 1)[1]
        for ln in modern.read_text(encoding="utf-8").splitlines()
        if "\t" in ln and not ln.startswith("#")
    ]
    found["modern"] = tmp / "modern.txt"
    found["modern"].write_text("\n".join(detokenize(r) for r in rows) + "\n", encoding="utf-8")
    fuzz = b"\n".join(p.read_bytes() for p in sorted((ROOT / "fuzz" / "seeds").iterdir()))
    fuzz += b"\n" + (ROOT / "tests" / "data" / "naughty.txt").read_bytes()
    found["fuzz"] = tmp / "fuzz.txt"
    found["fuzz"].write_bytes(fuzz)
    return found


def digests(data: Path, quick: bool, src: Path | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        files = inputs(data, tmp, quick)
        for pure in ("0", "1"):
            env = dict(os.environ, TIENG_PURE_PYTHON=pure)
            if src is not None:
                env["PYTHONPATH"] = str(src.resolve())
            path = "pure" if pure == "1" else "compiled"
            for name, f in files.items():
                for cmd, opts in CLI:
                    res = subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "tieng",
                            cmd,
                            "-q",
                            "-j",
                            "1",
                            "--errors",
                            "surrogateescape",
                            *opts,
                            f.name,
                        ],
                        capture_output=True,
                        env=env,
                        check=False,
                        cwd=tmp,
                    )
                    key = f"{path} {name} tieng {cmd} {' '.join(opts)}".strip()
                    out[key] = hashlib.sha256(res.stdout + b"|%d" % res.returncode).hexdigest()
                api = subprocess.run(
                    [sys.executable, "-c", API, str(f)], capture_output=True, env=env, check=True
                )
                for k, v in json.loads(api.stdout).items():
                    out[f"{path} {name} api {k}"] = v
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--src", type=Path, help="the src folder of the tieng to run")
    p.add_argument("--save", type=Path)
    p.add_argument("--check", type=Path)
    p.add_argument("--quick", action="store_true", help="the first 300 test sentences only")
    args = p.parse_args()
    got = digests(args.data, args.quick, args.src)
    if args.save:
        args.save.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    if args.check:
        want = json.loads(args.check.read_text())
        bad = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
        for k in bad:
            print(f"DIFFERENT: {k}")
        print(f"{len(got) - len(bad)} of {len(got)} outputs identical")
        return 1 if bad else 0
    for k, v in sorted(got.items()):
        print(v[:16], k)
    return 0


if __name__ == "__main__":
    sys.exit(main())
