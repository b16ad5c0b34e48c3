"""Restoring diacritics on the VLSP 2013 test set, and text typed without them read through it.

1. Restoration: every sentence of the test set (detokenized, as news is written) with every mark
   removed (``đ`` as ``d``) is restored; syllable accuracy over the runs of letters and word
   accuracy over the gold words, compared in lower case (``tieng evaluate --task restore``).
   Speed: syllables a second on one core, in batch (``restore_many`` over the whole set) and
   a sentence a call, best of ``--repeat`` passes.
2. The default route for text typed without marks (``tieng.Segmenter()``): the same bare
   sentences segmented and tagged; segmentation F1 against the gold words (marks removed) and
   POS span+tag F1 against vlsp2013_pos_test.txt (marks removed), for the route as it is
   (words by vlsp2013-unaccented, tags read from the text restored), and, with --routes, for
   restoration followed by the default segmenter and tagger.

Usage: python benchmarks/restoration.py [--data DIR] [--restorer FILE] [--routes]
"""

from __future__ import annotations

import sys
import time

from testset import gold_lines, parser

from tieng import Restorer, Segmenter
from tieng.normalization import remove_diacritics
from tieng.training.evaluation import (
    detokenize,
    evaluate,
    evaluate_tags,
    restoration_scores,
)


def _speed(r: Restorer, bare: list[str], syllables: int, repeat: int) -> tuple[float, float]:
    best_batch = best_call = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        r.restore_many(bare)
        best_batch = min(best_batch, time.process_time() - t0)
        t0 = time.process_time()
        for x in bare:
            r.restore(x)
        best_call = min(best_call, time.process_time() - t0)
    return syllables / best_batch, syllables / best_call


def main() -> int:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--restorer", default=None, help="restorer model file (default: bundled)")
    p.add_argument("--routes", action="store_true", help="also score restore + default model")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    gold = gold_lines(args.data, "restoration.py")
    if gold is None:
        return 1
    raw = [detokenize(g) for g in gold]
    bare = [remove_diacritics(x) for x in raw]
    r = Restorer(args.restorer)
    restored = r.restore_many(bare)
    # Word accuracy over the gold words: the restored text put back into the gold segmentation.
    scores = restoration_scores(raw, restored)
    words = restoration_scores(gold, [_resegmented(g, x) for g, x in zip(gold, restored)])
    batch, call = _speed(r, bare, scores.syllables, args.repeat)
    print(f"restorer {r.name}: {len(gold)} sentences, {scores.syllables} syllables")
    print(
        f"  syllable accuracy {scores.syllable_accuracy:.2f}, word accuracy "
        f"{words.word_accuracy:.2f} ({words.words} gold words), sentences all right "
        f"{scores.sentence_accuracy:.2f}"
    )
    print(
        f"  speed: {batch:,.0f} syllables/s in batch, {call:,.0f} a sentence a call "
        f"({call / batch:.2f}x)"
    )

    gold_bare = [remove_diacritics(g) for g in gold]
    pos = args.data / "vlsp2013_pos_test.txt"
    pos_gold = (
        [remove_diacritics(x.strip()) for x in pos.read_text("utf-8").splitlines() if x.strip()]
        if pos.is_file()
        else None
    )
    seg = Segmenter()
    docs = list(seg.pipe(bare, tags=True))
    print("route: " + ", ".join(sorted({d.model for d in docs})))
    print(f"  segmentation {evaluate(gold_bare, [d.text for d in docs])}")
    if pos_gold is not None and len(pos_gold) == len(docs):
        t = evaluate_tags(pos_gold, [d.tagged for d in docs])
        print(f"  POS span+tag F1 {t.f1:.2f} (segmentation F1 {t.segmentation_f1:.2f})")
    if args.routes:
        plain = Segmenter("vlsp2013")
        docs = list(plain.pipe(restored, tags=True))
        texts = [remove_diacritics(d.text) for d in docs]
        print("restore, then vlsp2013 and its tagger:")
        print(f"  segmentation {evaluate(gold_bare, texts)}")
        if pos_gold is not None and len(pos_gold) == len(docs):
            t = evaluate_tags(pos_gold, [remove_diacritics(d.tagged) for d in docs])
            print(f"  POS span+tag F1 {t.f1:.2f} (segmentation F1 {t.segmentation_f1:.2f})")
    return 0


def _resegmented(gold: str, restored: str) -> str:
    """``restored`` (raw text) written in the words of the segmented ``gold`` line."""
    letters = iter(ch for ch in restored if not ch.isspace())
    return "".join(ch if ch.isspace() or ch == "_" else next(letters) for ch in gold)


if __name__ == "__main__":
    sys.exit(main())
