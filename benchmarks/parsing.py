"""Dependency parsing on UD Vietnamese-VTB dev (issue 42): from raw text and with gold words.

The parser must not have seen the dev set: give one trained on train alone
(python scripts/parser_dev.py -o /tmp/train-only.tieng).  The segmenter and the tagger are the
bundled ones; they saw 813 of the 1,123 dev sentences (in vlsp2013_pos_train.txt), so the
figures are also given on the 310 they did not see.  Scored as the CoNLL 2018 shared task
scores (tieng evaluate --task parse): words aligned by characters, LAS without subtypes.

Usage: python benchmarks/parsing.py --parser FILE [--data DIR]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from tieng import Parser, Segmenter
from tieng.formats import conllu
from tieng.parsing import parse_segmented_docs
from tieng.tagging import tag_segmented
from tieng.training.evaluation import evaluate_parse

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_LETTERS = re.compile(r"[^\W\d_]+")


def blocks(path: Path) -> list[tuple[str, list[str]]]:
    """Each sentence's text (# text) and its CoNLL-U lines."""
    out, text, lines = [], "", []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            if lines:
                out.append((text, lines))
            text, lines = "", []
        elif raw.startswith("# text"):
            text = raw.split("=", 1)[1].strip()
        elif not raw.startswith("#"):
            lines.append(raw)
    if lines:
        out.append((text, lines))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--parser", required=True)
    args = ap.parse_args()
    dev = blocks(args.data / "ud_vtb_dev.conllu")
    seen = set()
    with open(args.data / "vlsp2013_pos_train.txt", encoding="utf-8") as f:
        for line in f:
            words = [tok.rsplit("/", 1)[0] for tok in line.split()]
            seen.add("".join(_LETTERS.findall(" ".join(words).replace("_", " ").lower())))
    parser = Parser(args.parser)
    seg = Segmenter(parser=parser)
    for name, part in (
        ("dev", dev),
        ("dev, 310 sentences unseen by the segmenter and the tagger",
         [b for b in dev if "".join(_LETTERS.findall(b[0].lower())) not in seen]),
    ):  # fmt: skip
        gold = [ln for _, lines in part for ln in [*lines, ""]]
        texts = [t for t, _ in part]
        t0 = time.process_time()
        docs = list(seg.pipe(texts, parse=True))
        took = time.process_time() - t0
        raw = "".join(
            conllu(d.sentences or [], t, "dev", k) for k, (d, t) in enumerate(zip(docs, texts))
        )
        words = sum(len(d.words) for d in docs)
        print(
            f"{name}, raw text: {evaluate_parse(gold, raw.splitlines())} "
            f"({words / took:,.0f} words/s end to end)"
        )
        segmented = [
            " ".join(ln.split("\t")[1].replace(" ", "_") for ln in lines) for _, lines in part
        ]
        tagged = parse_segmented_docs(tag_segmented(segmented, seg.tagger), parser)
        pred = "".join(
            conllu([d.words], s, "dev", k, segmented=True)
            for k, (d, s) in enumerate(zip(tagged, segmented))
        )
        print(f"{name}, gold words: {evaluate_parse(gold, pred.splitlines())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
