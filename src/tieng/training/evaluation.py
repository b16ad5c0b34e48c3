"""Scoring a segmentation against a gold standard, and turning gold data back into raw text.

Words are compared as spans of characters (white space and the "_" joiner left out), so two
files that tokenize punctuation differently are still compared word by word.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "ParseScores",
    "RestorationScores",
    "Scores",
    "TagScores",
    "detokenize",
    "evaluate",
    "evaluate_parse",
    "evaluate_tags",
    "restoration_scores",
    "word_spans",
]

_ATTACH_LEFT = frozenset([",", ".", ";", ":", "!", "?", ")", "”"])
_ATTACH_RIGHT = frozenset(["(", "“"])


def detokenize(segmented: str) -> str:
    """Rewrite one segmented line the way news is written.

    Syllables are separated by spaces again; ``, . ; : ! ? ) ”`` attach to the previous word
    and ``( “`` to the next one.

    >>> detokenize("Thủ_tướng ( TP. HCM ) nói : “ Tốt ” .")
    'Thủ tướng (TP. HCM) nói: “Tốt”.'
    """
    out: list[str] = []
    glue_next = False
    for w in segmented.split():
        w = w.replace("_", " ")
        if out and not glue_next and w not in _ATTACH_LEFT:
            out.append(" ")
        out.append(w)
        glue_next = w in _ATTACH_RIGHT
    return "".join(out)


def word_spans(segmented: str) -> tuple[str, set[tuple[int, int]]]:
    """The characters of a segmented line (no spaces, no "_") and its words as spans of them.

    >>> chars, spans = word_spans("Hà_Nội , ta")
    >>> chars, sorted(spans)
    ('HàNội,ta', [(0, 5), (5, 6), (6, 8)])
    """
    chars: list[str] = []
    spans = set()
    pos = 0
    for w in segmented.split():
        core = w.replace("_", "")
        if not core:
            continue
        chars.append(core)
        spans.add((pos, pos + len(core)))
        pos += len(core)
    return "".join(chars), spans


@dataclass(frozen=True)
class Scores:
    """Word-level precision, recall and F1 (in %), and the share of sentences fully right."""

    precision: float
    recall: float
    f1: float
    sentence_accuracy: float
    gold_words: int
    predicted_words: int
    correct_words: int
    sentences: int

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.2f}  recall {self.recall:.2f}  F1 {self.f1:.2f}  "
            f"sentences exactly right {self.sentence_accuracy:.2f}% "
            f"({self.sentences} sentences, {self.gold_words} gold words)"
        )


def _pairs(gold: Iterable[str], predicted: Iterable[str]) -> Iterator[tuple[int, str, str]]:
    """``(line number, gold line, predicted line)``; ``ValueError`` when the counts differ."""
    n = 0
    gold_it, pred_it = iter(gold), iter(predicted)
    while True:
        g = next(gold_it, None)
        p = next(pred_it, None)
        if g is None or p is None:
            if g is not None or p is not None:
                raise ValueError(f"the files have different numbers of lines (after line {n})")
            return
        n += 1
        yield n, g, p


def _same_text(n: int, gc: str, pc: str) -> None:
    """``ValueError`` where the characters of a line's two versions differ."""
    if gc != pc:
        k = next((i for i, (a, b) in enumerate(zip(gc, pc)) if a != b), min(len(gc), len(pc)))
        raise ValueError(
            f"line {n}: the texts differ at character {k} "
            f"(gold {gc[k : k + 10]!r}, predicted {pc[k : k + 10]!r})"
        )


def evaluate(gold: Iterable[str], predicted: Iterable[str]) -> Scores:
    """Compare segmented lines, pairwise; raises ``ValueError`` when the texts differ.

    >>> evaluate(["Hà_Nội đẹp"], ["Hà Nội đẹp"]).f1
    40.0
    """
    tp = n_gold = n_pred = exact = n = 0
    for n, g, p in _pairs(gold, predicted):
        gc, gs = word_spans(g)
        pc, ps = word_spans(p)
        _same_text(n, gc, pc)
        hit = len(gs & ps)
        tp += hit
        n_gold += len(gs)
        n_pred += len(ps)
        exact += gs == ps
    precision = 100.0 * tp / n_pred if n_pred else 0.0
    recall = 100.0 * tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    acc = 100.0 * exact / n if n else 0.0
    return Scores(precision, recall, f1, acc, n_gold, n_pred, tp, n)


@dataclass(frozen=True)
class TagScores:
    """Part-of-speech scores (in %): ``accuracy`` over the gold words when every line has
    the gold words (``None`` otherwise); ``segmentation_f1`` of the word spans alone; and
    precision, recall and F1 of words whose span and tag are both right."""

    accuracy: float | None
    segmentation_f1: float
    precision: float
    recall: float
    f1: float
    gold_words: int
    predicted_words: int
    correct_words: int
    sentences: int


def _tagged_spans(line: str, n: int, which: str) -> tuple[str, set[tuple[int, int, str]]]:
    chars: list[str] = []
    spans = set()
    pos = 0
    for tok in line.split():
        word, sep, tag = tok.rpartition("/")
        if not sep or not word:
            raise ValueError(f"{which} line {n}: {tok!r} is not word/TAG")
        core = word.replace("_", "")
        chars.append(core)
        spans.add((pos, pos + len(core), tag))
        pos += len(core)
    return "".join(chars), spans


def evaluate_tags(gold: Iterable[str], predicted: Iterable[str]) -> TagScores:
    """Compare tagged lines (``word/TAG`` tokens, syllables joined by ``_``), pairwise;
    raises ``ValueError`` when the texts differ or a token has no tag.

    >>> s = evaluate_tags(["Hà_Nội/Np đẹp/A"], ["Hà_Nội/Np đẹp/V"])
    >>> s.accuracy, s.segmentation_f1, s.f1
    (50.0, 100.0, 50.0)
    >>> evaluate_tags(["Hà_Nội/Np đẹp/A"], ["Hà/Np Nội/Np đẹp/A"]).accuracy is None
    True
    """
    tp = seg_tp = n_gold = n_pred = n = 0
    same_words = True
    for n, g, p in _pairs(gold, predicted):
        gc, gs = _tagged_spans(g, n, "gold")
        pc, ps = _tagged_spans(p, n, "predicted")
        _same_text(n, gc, pc)
        g_words = {(a, b) for a, b, _ in gs}
        p_words = {(a, b) for a, b, _ in ps}
        same_words = same_words and g_words == p_words
        tp += len(gs & ps)
        seg_tp += len(g_words & p_words)
        n_gold += len(gs)
        n_pred += len(ps)

    def f1(hits: int) -> tuple[float, float, float]:
        precision = 100.0 * hits / n_pred if n_pred else 0.0
        recall = 100.0 * hits / n_gold if n_gold else 0.0
        f = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f

    precision, recall, f = f1(tp)
    accuracy = (100.0 * tp / n_gold if n_gold else 0.0) if same_words else None
    return TagScores(accuracy, f1(seg_tp)[2], precision, recall, f, n_gold, n_pred, tp, n)


_LETTER_RUN = re.compile(r"[^\W\d_]+")
_CHUNK = re.compile(r"\S+")
_MARKS = re.compile("[\u0300-\u036f]+")


@dataclass(frozen=True)
class RestorationScores:
    """Diacritics restoration scores (in %): ``syllable_accuracy`` over the runs of letters of
    the gold text, ``word_accuracy`` over its white-space separated words that hold letters
    (a word of a segmented file is its syllables joined by ``_``), both compared in lower
    case; ``sentence_accuracy``: lines with every syllable right."""

    syllable_accuracy: float
    word_accuracy: float
    sentence_accuracy: float
    syllables: int
    words: int
    sentences: int

    def __str__(self) -> str:
        return (
            f"syllable accuracy {self.syllable_accuracy:.2f}  word accuracy "
            f"{self.word_accuracy:.2f}  sentences exactly right {self.sentence_accuracy:.2f}% "
            f"({self.sentences} sentences, {self.syllables} syllables, {self.words} words)"
        )


def _bare(text: str) -> str:
    nfd = unicodedata.normalize("NFD", text)
    return _MARKS.sub("", nfd).translate(str.maketrans("đĐ", "dD")).lower()


def restoration_scores(gold: Iterable[str], predicted: Iterable[str]) -> RestorationScores:
    """Compare restored lines with the gold text, pairwise; raises ``ValueError`` when a
    line's two versions differ in more than their marks (or in length).

    >>> s = restoration_scores(["Tôi yêu tiếng Việt"], ["Tôi yêu tiếng Viet"])
    >>> s.syllable_accuracy, s.word_accuracy
    (75.0, 75.0)
    """
    syl = syl_ok = words = words_ok = lines_ok = n = 0
    for n, g, p in _pairs(gold, predicted):
        g = unicodedata.normalize("NFC", g.rstrip("\r\n"))
        p = unicodedata.normalize("NFC", p.rstrip("\r\n"))
        if len(g) != len(p) or _bare(g) != _bare(p):
            gb, pb = _bare(g), _bare(p)
            k = next((i for i, (a, b) in enumerate(zip(gb, pb)) if a != b), min(len(gb), len(pb)))
            raise ValueError(
                f"line {n}: the texts differ in more than their marks at character {k} "
                f"(gold {g[k : k + 10]!r}, predicted {p[k : k + 10]!r})"
            )
        gl, pl = g.lower(), p.lower()
        wrong_at = {
            m.start()
            for m in _LETTER_RUN.finditer(gl)
            if gl[m.start() : m.end()] != pl[m.start() : m.end()]
        }
        runs = len(_LETTER_RUN.findall(gl))
        syl += runs
        syl_ok += runs - len(wrong_at)
        lines_ok += not wrong_at
        for m in _CHUNK.finditer(g):
            if _LETTER_RUN.search(m.group()):
                words += 1
                words_ok += gl[m.start() : m.end()] == pl[m.start() : m.end()]

    def pct(a: int, b: int) -> float:
        return 100.0 * a / b if b else 0.0

    return RestorationScores(
        pct(syl_ok, syl), pct(words_ok, words), pct(lines_ok, n), syl, words, n
    )


@dataclass(frozen=True)
class ParseScores:
    """Dependency scores (in %), as the CoNLL 2018 shared task computes them: words are
    aligned by their characters (white space left out), so a parse of raw text is scored
    against the gold words; a word's head is right when it is aligned to the gold head's word
    (or both are the root).  Each score is an F1 over the gold and the predicted words (equal
    to accuracy when the words are the gold words).  ``las`` compares relations without their
    subtypes (``obl:tmod`` as ``obl``), as the shared task does; ``las_full`` with them."""

    words: float
    uas: float
    las: float
    las_full: float
    gold_words: int
    predicted_words: int

    def __str__(self) -> str:
        return (
            f"words F1 {self.words:.2f}  UAS {self.uas:.2f}  LAS {self.las:.2f}  (LAS with "
            f"subtypes {self.las_full:.2f}; {self.gold_words} gold words, "
            f"{self.predicted_words} predicted)"
        )


def _conllu_words(lines: Iterable[str]) -> tuple[str, list[tuple[int, int, int, str]]]:
    """The characters of a CoNLL-U document (FORMs without white space) and its words:
    (start, end, index of the head word in the document or -1 for the root, relation)."""
    from .corpora import conllu_sentences

    chars: list[str] = []
    words: list[tuple[int, int, int, str]] = []
    pos = 0
    for sentence in conllu_sentences(lines, "CoNLL-U"):
        base = len(words)
        for cols in sentence:
            form = "".join(cols[1].split())
            head = int(cols[6]) if cols[6] != "_" else 0
            chars.append(form)
            words.append((pos, pos + len(form), -1 if head == 0 else base + head - 1, cols[7]))
            pos += len(form)
    return "".join(chars), words


def evaluate_parse(gold: Iterable[str], predicted: Iterable[str]) -> ParseScores:
    """Score a CoNLL-U parse against gold CoNLL-U (the lines of the two files); raises
    ``ValueError`` when their characters differ.

    >>> g = ["1\\tTôi\\t_\\t_\\t_\\t_\\t2\\tnsubj\\t_\\t_"]
    >>> g += ["2\\tđi\\t_\\t_\\t_\\t_\\t0\\troot\\t_\\t_", ""]
    >>> evaluate_parse(g, g).las
    100.0
    """
    gc, gw = _conllu_words(gold)
    pc, pw = _conllu_words(predicted)
    if gc != pc:
        k = next((i for i, (a, b) in enumerate(zip(gc, pc)) if a != b), min(len(gc), len(pc)))
        raise ValueError(
            f"the two parses are of different texts: they differ at character {k} of their "
            f"words (gold {gc[k : k + 10]!r}, predicted {pc[k : k + 10]!r})"
        )
    by_span = {(a, b): i for i, (a, b, _, _) in enumerate(gw)}
    matched = {p: by_span.get((a, b)) for p, (a, b, _, _) in enumerate(pw)}
    aligned = right = labelled = full = 0
    for p, g in matched.items():
        if g is None:
            continue
        aligned += 1
        ph, gh = pw[p][2], gw[g][2]
        if (ph == -1 and gh == -1) or (ph >= 0 and gh >= 0 and matched.get(ph) == gh):
            right += 1
            pr, gr = pw[p][3], gw[g][3]
            labelled += pr.split(":")[0] == gr.split(":")[0]
            full += pr == gr

    def f1(hits: int) -> float:
        total = len(gw) + len(pw)
        return 200.0 * hits / total if total else 0.0

    return ParseScores(f1(aligned), f1(right), f1(labelled), f1(full), len(gw), len(pw))
