"""Shared by the benchmarks that score the VLSP 2013 test set: options and the gold lines."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def parser(doc: str | None) -> argparse.ArgumentParser:
    """``--data DIR`` and ``--model FILE``, the options every test-set benchmark takes."""
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--model", default=None, help="model file (default: bundled)")
    return p


def gold_lines(data: Path, program: str) -> list[str] | None:
    """The segmented test sentences, or None (with a message) when the file is missing."""
    test = data / "vlsp2013_ws_test.txt"
    if not test.is_file():
        print(f"{program}: {test} not found (pass --data)", file=sys.stderr)
        return None
    return [ln.strip() for ln in test.read_text(encoding="utf-8").splitlines() if ln.strip()]
