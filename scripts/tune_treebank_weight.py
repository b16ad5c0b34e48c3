"""Dev F1 on the treebank-style dev split for a given weight of treebank-style sentences.

vlsp2013_ws_train.txt has two parts: 68,200 sentences from one source (under 2% of them in
vlsp2013_pos_train.txt), then about 7,200 that are all in vlsp2013_pos_train.txt (Viet
Treebank, where the test set comes from too). The dev split is 20% of the 200-sentence
blocks of that second part, chosen by a seeded hash. The model is trained on everything
else: the rest of the WS training set and the POS-train sentences that are in neither the WS
training set nor the test set, with the treebank-style sentences weighted by --weight.
Usage: python scripts/tune_treebank_weight.py --weight 3 [--domains] [--classes K] [--data DIR]
       [--l2 X] [--max-iter 300] [--folds 5] [--dev-fold K] [--unaccented] [--save FILE]
       [--lexicon FILE ...] (outside word lists, one feature group each)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devfold import TREEBANK_START, in_dev_fold

from tieng import Segmenter
from tieng.normalization import KEY_VERSION, UNACCENTED
from tieng.training.evaluation import evaluate
from tieng.training.segmenter import lower_copies, read_corpus, read_word_list, train

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _key(sentence: list[str]) -> str:
    return " ".join(w.replace("_", " ") for w in sentence).lower()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--weight", type=float, default=1.0)
    p.add_argument("--max-iter", type=int, default=300)
    p.add_argument("--l2", type=float, default=1.0, help="L2 penalty (default 1)")
    p.add_argument("--min-feature-count", type=int, default=1)
    p.add_argument("--min-count", type=int, default=2, help="vocabulary floor (default 2)")
    p.add_argument("--no-affixes", action="store_true", help="leave out the affix templates")
    p.add_argument("--classes", type=int, default=0, help="syllable classes (default 0: none)")
    p.add_argument(
        "--folds", type=int, default=5, help="jackknife folds for the lexicon (default 5)"
    )
    p.add_argument(
        "--domains",
        action="store_true",
        help="give the two parts their own weight copies (tieng train --domains)",
    )
    p.add_argument(
        "--dev-fold",
        type=int,
        default=0,
        choices=range(5),
        metavar="K",
        help="which fifth of the treebank-style blocks is the dev split (default 0, the split "
        "of the ablation in docs/REPORT.md; 1-4 give the other folds of a cross-validation)",
    )
    p.add_argument(
        "--unaccented", action="store_true", help="the unaccented view (tieng train --unaccented)"
    )
    p.add_argument("--save", type=Path, help="also save the model here")
    p.add_argument(
        "--lower-copies",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="add this share of the training sentences again in lower case (seeded)",
    )
    p.add_argument("--foreign", action="store_true", help="foreign words get shapes of their own")
    p.add_argument(
        "--countries",
        type=Path,
        help="one-syllable country names, one a line (scripts/country_names.py writes them)",
    )
    p.add_argument(
        "--list-version", type=int, default=1, help="word-list templates version (default 1)"
    )
    p.add_argument(
        "--lexicon",
        type=Path,
        action="append",
        default=[],
        help="an outside word list (one entry a line), a feature group of its own; repeatable",
    )
    args = p.parse_args()
    ws = read_corpus(args.data / "vlsp2013_ws_train.txt")
    pos = read_corpus(args.data / "vlsp2013_pos_train.txt")
    sentences, weights, domains, dev = [], [], [], []
    for i, s in enumerate(ws):
        treebank = i >= TREEBANK_START
        if in_dev_fold(i, args.dev_fold):
            dev.append(s)
        else:
            sentences.append(s)
            weights.append(args.weight if treebank else 1.0)
            domains.append("treebank" if treebank else "other")
    test = read_corpus(args.data / "vlsp2013_ws_test.txt")  # only to leave its sentences out
    seen = {_key(s) for s in ws} | {_key(s) for s in test}
    extra = [s for s in pos if _key(s) not in seen]
    sentences += extra
    weights += [args.weight] * len(extra)
    domains += ["treebank"] * len(extra)
    if args.lower_copies:
        copies = lower_copies(sentences, args.lower_copies)
        sentences += [sentences[i] for i in copies]  # (replaced below by their lower case)
        sentences[len(sentences) - len(copies) :] = [
            [w.lower() for w in sentences[i]] for i in copies
        ]
        weights += [weights[i] for i in copies]
        domains += [domains[i] for i in copies]
    print(f"train {len(sentences)} sentences, dev {len(dev)}", file=sys.stderr)
    say = lambda m: print(m, file=sys.stderr)  # noqa: E731
    model = train(
        sentences,
        weights=weights,
        domains=domains if args.domains else None,
        target_domain="treebank" if args.domains else None,
        l2=args.l2,
        max_iter=args.max_iter,
        tol=1e-10,  # every iteration asked for, as the bundled recipe
        min_feature_count=args.min_feature_count,
        affixes=not args.no_affixes,
        classes=args.classes,
        folds=args.folds,
        min_count=args.min_count,
        key_version=UNACCENTED if args.unaccented else KEY_VERSION,
        lists={f.stem: read_word_list(f) for f in args.lexicon} or None,
        list_version=args.list_version,
        foreign=args.foreign,
        countries=[e[0] for e in read_word_list(args.countries)] if args.countries else (),
        progress=say,
    )
    if args.save:
        model.save(args.save)
    seg = Segmenter(model, pretokenized=True)
    raw = (" ".join(w.replace("_", " ") for w in s) for s in dev)
    scores = evaluate((" ".join(s) for s in dev), seg.pipe_text(raw))
    lists = ",".join(f.stem for f in args.lexicon) or "none"
    print(
        f"weight {args.weight}, dev fold {args.dev_fold}, lists {lists}, "
        f"foreign {args.foreign}, countries {args.countries is not None}: "
        f"treebank-style dev {scores}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
