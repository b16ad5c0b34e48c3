"""Tags for the parser's training trees from taggers that did not see them (issue 42).

The UD Vietnamese-VTB trees are sentences of vlsp2013_pos_train.txt, on which the bundled
tagger was trained: its tags on them are better than on new text, and a parser trained on them
learns to trust tags too much.  This trains FOLDS taggers (the bundled tagger's recipe, one
run), tagger k on vlsp2013_pos_train.txt without the sentences of the VTB dev set and without
those of the k-th fifth of the VTB training trees, and tags that fifth with it; the dev trees
get the tags of tagger 0 (which saw none of them).  Sentences match as the data README says:
their letters, in lower case.  Writes train.conllu and dev.conllu (XPOS: the tags) into OUT.

Usage: python scripts/jackknife_tags.py OUT [--data DIR] [--folds 5] [--jobs 2]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tieng import Tagger
from tieng.training.parser import read_conllu

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
_LETTERS = re.compile(r"[^\W\d_]+")
LISTS = ("viet74k.txt", "pyvi_words.txt")  # the bundled tagger's (README: rebuilding)


def key(words: list[str]) -> str:
    return "".join(_LETTERS.findall(" ".join(words).replace("_", " ").lower()))


def write_conllu(path: Path, trees: list) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for tree in trees:
            for i, (form, tag, head, rel) in enumerate(tree, 1):
                f.write(f"{i}\t{form}\t_\t_\t{tag}\t_\t{head}\t{rel}\t_\t_\n")
            f.write("\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train = read_conllu(str(args.data / "ud_vtb_train.conllu"))
    dev = read_conllu(str(args.data / "ud_vtb_dev.conllu"))
    pos = (args.data / "vlsp2013_pos_train.txt").read_text(encoding="utf-8").splitlines()
    pos_keys = [key([t.rsplit("/", 1)[0] for t in line.split()]) for line in pos]
    dev_keys = {key([w for w, *_ in s]) for s in dev}
    fold_keys = [
        {key([w for w, *_ in s]) for i, s in enumerate(train) if i % args.folds == k}
        for k in range(args.folds)
    ]

    def tagger(k: int) -> Path:
        kept = [
            line for line, pk in zip(pos, pos_keys) if pk not in dev_keys and pk not in fold_keys[k]
        ]
        corpus = args.out / f"pos_{k}.txt"
        corpus.write_text("\n".join(kept) + "\n", encoding="utf-8")
        model = args.out / f"tagger_{k}.tieng"
        lists = [x for name in LISTS for x in ("--lexicon", str(args.data / "lexicons" / name))]
        subprocess.run(
            [sys.executable, "-m", "tieng", "train-tagger", str(corpus), "-o", str(model),
             "--runs", "1", "-q", *lists],
            check=True,
        )  # fmt: skip
        print(f"tagger {k}: {len(kept):,} of {len(pos):,} sentences", flush=True)
        return model

    with ThreadPoolExecutor(args.jobs) as pool:
        models = list(pool.map(tagger, range(args.folds)))

    def tagged(trees: list, model: Path) -> list:
        tags = Tagger(str(model)).tag_words([[w for w, *_ in s] for s in trees])
        return [[(w, t, h, r) for (w, _, h, r), t in zip(s, ts)] for s, ts in zip(trees, tags)]

    out_train: list = [None] * len(train)
    for k, model in enumerate(models):
        idx = [i for i in range(len(train)) if i % args.folds == k]
        for i, tree in zip(idx, tagged([train[i] for i in idx], model)):
            out_train[i] = tree
    write_conllu(args.out / "train.conllu", out_train)
    write_conllu(args.out / "dev.conllu", tagged(dev, models[0]))
    print(f"wrote {args.out / 'train.conllu'} and {args.out / 'dev.conllu'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
