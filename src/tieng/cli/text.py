"""``tieng tokenize`` and ``tieng normalize``: tokens, and text in one tone-mark style."""

from __future__ import annotations

import argparse

from ..normalization import normalize
from ..tokenization import tokenize
from .common import (
    _transform_lines,
    io_args,
)


def cmd_tokenize(args: argparse.Namespace) -> int:
    _transform_lines(
        args.files, args.output, lambda b: (" ".join(t.text for t in tokenize(x)) for x in b)
    )
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    tone = None if args.tone == "none" else args.tone
    _transform_lines(args.files, args.output, lambda b: (normalize(x, tone) for x in b))
    return 0


def register(sub) -> None:
    """Add this module's commands to ``sub``, the subparsers of ``tieng``."""
    sp = sub.add_parser(
        "tokenize",
        help="split text into tokens, separated by spaces",
        description="Split text into tokens (syllables, numbers, punctuation, URLs, ...), "
        "written separated by spaces, one output line per input line.",
    )
    io_args(sp)
    sp.set_defaults(func=cmd_tokenize)

    sp = sub.add_parser(
        "normalize",
        help="rewrite text in NFC with one tone-mark style",
        description="Rewrite text in Unicode NFC with one tone-mark placement (by default the "
        "modern one: hòa, thủy), one output line per input line.",
    )
    io_args(sp)
    sp.add_argument(
        "--tone",
        choices=["modern", "classic", "none"],
        default="modern",
        help="modern (the default): hòa, thủy; classic: hoà, thuỷ; none: NFC only",
    )
    sp.set_defaults(func=cmd_normalize)
