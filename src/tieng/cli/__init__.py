"""The ``tieng`` command line: one module a command (or two close ones), each declaring its
options beside its code; :func:`main` puts them together."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from .. import __version__
from .._accel import keep_freed_memory
from ..model import ModelError
from . import evaluate, info, segment, serve, text, train
from .common import InputError, _writes_stdout

_EXAMPLES = """\
examples:
  echo "Thành phố sẽ đầu tư xây dựng tàu điện ngầm." | tieng segment
  tieng segment news.txt -o news.seg.txt
  tieng segment --sentences news.txt        one sentence per line
  tieng segment --model vlsp2013-unaccented chat.txt   text typed without diacritics
  tieng tag news.txt                        words with their part of speech (Hà_Nội/Np)
  tieng restore chat.txt                    diacritics restored (Ha Noi -> Hà Nội)
  tieng parse news.txt                      dependency trees, CoNLL-U
  tieng evaluate gold.txt predicted.txt
  tieng train corpus.txt -o my.tieng
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tieng",
        description="Vietnamese word segmentation, part-of-speech tagging, diacritics "
        "restoration and dependency parsing.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"tieng {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    p.commands = sub.choices  # type: ignore[attr-defined]  # each command's own parser

    for command in (segment, text, evaluate, train, serve, info):
        command.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # a wrong flag: the usage of the command it was given to, not tieng's
        commands = getattr(parser, "commands", {})
        (commands.get(args.command) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:  # plain `tieng`: what it can do, and no success (as git does)
        parser.print_help(sys.stderr)
        return 2
    keep_freed_memory()  # the CLI owns its process (and its workers, which inherit this)
    try:
        if sys.stdout is None and _writes_stdout(args):
            where = "; give -o FILE" if args.command not in ("info", "evaluate") else ""
            raise InputError(f"standard output is closed, and the results go there{where}")
        code = args.func(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk is found here, not at exit
        return code
    except (InputError, ModelError) as e:
        print(f"tieng: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except OSError as e:
        # Standard output (or a file) that cannot be written: a full disk, say.
        print(f"tieng: error: cannot write the output ({e.strerror or e})", file=sys.stderr)
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # nothing more to flush at exit
        return 2
    except KeyboardInterrupt:
        print("tieng: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
