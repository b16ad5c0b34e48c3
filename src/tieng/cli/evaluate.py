"""``tieng evaluate``: a segmentation (or tagging) scored against a gold file."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ..training.evaluation import TagScores

from .common import (
    InputError,
    read_lines,
)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..training.evaluation import (
        evaluate,
        evaluate_parse,
        evaluate_tags,
        restoration_scores,
    )

    if args.task == "pos":
        return _print_tag_scores(_compare(args, evaluate_tags), args.json)
    if args.task == "parse":
        try:
            with open(args.gold, encoding="utf-8") as g:
                with open(args.predicted, encoding="utf-8") as p:
                    parsed = evaluate_parse(g, p)
        except OSError as e:
            raise InputError(f"cannot read {e.filename}: {e.strerror}") from None
        except (ValueError, UnicodeDecodeError) as e:
            raise InputError(f"{args.gold} vs {args.predicted}: {e}") from None
        if args.json:
            print(json.dumps(parsed.__dict__))
        else:
            counts = f"{parsed.gold_words} gold, {parsed.predicted_words} predicted"
            print(f"words      {parsed.words:6.2f}  ({counts})")
            print(f"UAS        {parsed.uas:6.2f}")
            print(f"LAS        {parsed.las:6.2f}  (relations without subtypes, as CoNLL 2018)")
            print(f"LAS full   {parsed.las_full:6.2f}  (with subtypes: obl:tmod)")
        return 0
    if args.task == "restore":
        got = _compare(args, restoration_scores)
        if args.json:
            print(json.dumps(got.__dict__))
        else:
            print(f"syllables  {got.syllable_accuracy:6.2f}  ({got.syllables} syllables)")
            print(
                f"words      {got.word_accuracy:6.2f}  ({got.words} words: white-space separated)"
            )
            lines = f"every syllable right, {got.sentences} lines"
            print(f"sentences  {got.sentence_accuracy:6.2f}  ({lines})")
        return 0
    scores = _compare(args, evaluate)
    if args.json:
        print(json.dumps(scores.__dict__))
    else:
        print(f"precision  {scores.precision:6.2f}")
        print(f"recall     {scores.recall:6.2f}")
        print(f"F1         {scores.f1:6.2f}")
        print(
            f"sentences  {scores.sentence_accuracy:6.2f}  "
            f"(exact match, {scores.sentences} sentences)"
        )
    return 0


T = TypeVar("T")


def _compare(args: argparse.Namespace, score: Callable[[Iterator[str], Iterator[str]], T]) -> T:
    """``score`` of the non-blank lines of GOLD and PRED, pairwise."""
    gold = (b for b, _ in read_lines([args.gold]) if b.strip())
    pred = (b for b, _ in read_lines([args.predicted]) if b.strip())
    try:
        return score(gold, pred)
    except ValueError as e:
        raise InputError(f"{args.gold} vs {args.predicted}: {e}") from None


def _print_tag_scores(scores: TagScores, as_json: bool) -> int:
    if as_json:
        print(json.dumps(scores.__dict__))
        return 0
    if scores.accuracy is not None:
        print(f"accuracy         {scores.accuracy:6.2f}  (the gold words, {scores.gold_words})")
    else:
        print("accuracy              -  (the words differ from the gold words)")
    print(f"segmentation F1  {scores.segmentation_f1:6.2f}")
    print(f"span+tag P       {scores.precision:6.2f}")
    print(f"span+tag R       {scores.recall:6.2f}")
    print(f"span+tag F1      {scores.f1:6.2f}  (a word counts when its span and tag are right)")
    return 0


def register(sub) -> None:
    """Add this module's commands to ``sub``, the subparsers of ``tieng``."""
    sp = sub.add_parser(
        "evaluate",
        help="score a segmented file against a gold file",
        description="Word precision, recall and F1 of PREDICTED against GOLD. Both are "
        "segmented text in the underscore format, one sentence a line, lines in the same "
        "order: words separated by spaces, the syllables of a word joined by _ "
        "(Hà_Nội là thủ_đô .), as `tieng segment` writes. The two must hold the same "
        "characters once spaces and _ are removed; tokens may differ (raw-text output is "
        "scored against the gold words).",
        epilog="example:\n  tieng segment raw.txt -o pred.txt && tieng evaluate gold.txt pred.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sp.add_argument("gold", metavar="GOLD", help="the reference segmentation")
    sp.add_argument("predicted", metavar="PRED", help="the segmentation to score")
    sp.add_argument("--json", action="store_true", help="print the scores as JSON")
    sp.add_argument(
        "--task",
        choices=["segment", "pos", "restore", "parse"],
        default="segment",
        help="segment (default): word F1; pos: both files are word/TAG lines (as tieng tag "
        "writes); prints the tag accuracy when the words are the gold words, and the F1 "
        "of words whose span and tag are both right; restore: GOLD is text with its "
        "diacritics, PRED the same text restored (as tieng restore writes); prints the "
        "accuracy of syllables (runs of letters) and of words (white-space separated; the "
        "syllables of a segmented word are joined by _), compared in lower case; parse: both "
        "are CoNLL-U (as tieng parse writes); words aligned by their characters as the CoNLL "
        "2018 shared task does, so a parse of raw text is scored against the gold words: "
        "UAS and LAS F1",
    )
    sp.set_defaults(func=cmd_evaluate)
