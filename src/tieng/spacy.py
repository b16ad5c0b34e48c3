"""tieng as the tokenizer of a spaCy pipeline: a ``Doc`` whose tokens are tieng's words.

Installed with ``pip install 'tieng[spacy]'``; spaCy finds the tokenizer through the
package's entry points, so no ``import tieng`` is needed::

    import spacy

    nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"@tokenizers": "tieng.Tokenizer.v1"}}})
    [t.text for t in nlp("Tôi yêu Việt Nam")]  # ['Tôi', 'yêu', 'Việt Nam']

or, in a training config::

    [nlp.tokenizer]
    @tokenizers = "tieng.Tokenizer.v1"
    model = null                      # or "vlsp2013-unaccented", or a model file

A word of several syllables is one token, with its inner space (``Việt Nam``), as spaCy's
own Vietnamese tokenizer gives it.  ``doc.text`` is the input, character for character:
white space other than one space after a word becomes tokens of its own, spaCy's way.

The ``tieng_tagger`` component sets each token's ``tag_`` (the VLSP 2013 tag) and ``pos_``
(its Universal POS tag) with tieng's tagger, sentence by sentence when the doc has
sentences, else line by line::

    nlp.add_pipe("tieng_tagger")      # or with config={"model": "my-pos.tieng"}
    [(t.text, t.tag_, t.pos_) for t in nlp("Tôi yêu Việt Nam")]
    # [('Tôi', 'P', 'PRON'), ('yêu', 'V', 'VERB'), ('Việt Nam', 'Np', 'PROPN')]

The ``tieng_parser`` component, after it, sets ``token.head`` and ``token.dep_`` (the root's
``ROOT``, as spaCy writes it), so that ``spacy.displacy.render(doc)`` draws the tree::

    nlp.add_pipe("tieng_parser")
    [(t.text, t.dep_, t.head.text) for t in nlp("Tôi yêu Việt Nam")]
    # [('Tôi', 'nsubj', 'yêu'), ('yêu', 'ROOT', 'yêu'), ('Việt Nam', 'obj', 'yêu')]
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from .parsing import Parser
from .segmentation import Segmenter
from .tagging import Tagger, upos

__all__ = [
    "TiengParser",
    "TiengTagger",
    "TiengTokenizer",
    "create_parser",
    "create_tagger",
    "create_tokenizer",
]


class TiengTokenizer:
    """A spaCy tokenizer that segments with a :class:`tieng.Segmenter`."""

    def __init__(self, vocab: Vocab, model: str | None = None) -> None:
        self.vocab = vocab
        self.model = model
        self.segmenter = Segmenter(model)

    def __call__(self, text: str) -> Doc:
        return self._doc(text, self.segmenter(text).words)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        """Docs of ``texts``, segmented in batches (the texts are read as they go)."""
        seen: deque[str] = deque()

        def read() -> Iterator[str]:
            for text in texts:
                seen.append(text)
                yield text

        for result in self.segmenter.pipe(read(), batch_size=batch_size):
            yield self._doc(seen.popleft(), result.words)

    def _doc(self, text: str, spans) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []

        def gap(between: str) -> None:
            # One space after a word is its trailing space; any other white space is a token.
            if words and between.startswith(" "):
                spaces[-1] = True
                between = between[1:]
            if between:
                words.append(between)
                spaces.append(False)

        end = 0
        for span in spans:
            gap(text[end : span.start])
            words.append(span.text)
            spaces.append(False)
            end = span.end
        gap(text[end:])
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy saves and loads a pipeline's tokenizer with these; the settings are the model.
    def to_bytes(self, **kwargs) -> bytes:
        return (self.model or "").encode("utf-8")

    def from_bytes(self, data: bytes, **kwargs) -> TiengTokenizer:
        self.model = data.decode("utf-8") or None
        self.segmenter = Segmenter(self.model)
        return self

    def to_disk(self, path, **kwargs) -> None:
        from pathlib import Path

        Path(path).write_bytes(self.to_bytes())

    def from_disk(self, path, **kwargs) -> TiengTokenizer:
        from pathlib import Path

        return self.from_bytes(Path(path).read_bytes())


@registry.tokenizers("tieng.Tokenizer.v1")
def create_tokenizer(model: str | None = None) -> Callable[..., TiengTokenizer]:
    """The factory spaCy's config calls: ``model`` is a bundled model's name or a model file
    (default: the bundled ``vlsp2013``)."""

    def make(nlp) -> TiengTokenizer:
        return TiengTokenizer(nlp.vocab, model)

    return make


class TiengTagger:
    """A spaCy pipeline component: ``token.tag_`` and ``token.pos_`` from tieng's tagger."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model
        self.tagger = Tagger(model)

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        for doc in docs:
            words = [t for t in doc if not t.is_space]
            sentences: list[list] = []
            for t in words:
                # A new sequence at each sentence start (when the doc has sentences) and
                # after each line break, as tieng tags text.
                brk = t.i == 0 or (doc.has_annotation("SENT_START") and t.is_sent_start)
                if brk or not sentences or "\n" in doc[t.i - 1].text_with_ws:
                    sentences.append([])
                sentences[-1].append(t)
            tags = self.tagger.tag_words([[t.text for t in s] for s in sentences])
            for sentence, labels in zip(sentences, tags):
                for t, tag in zip(sentence, labels):
                    t.tag_ = tag
                    t.pos_ = upos(tag)
            for t in doc:
                if t.is_space:  # spaCy's own labels for white space
                    t.tag_, t.pos_ = "_SP", "SPACE"
            yield doc


@Language.factory("tieng_tagger", default_config={"model": None})
def create_tagger(nlp: Language, name: str, model: str | None) -> TiengTagger:
    """The ``tieng_tagger`` component; ``model`` is a tagger model file (default: the
    bundled ``vlsp2013-pos``)."""
    return TiengTagger(model)


class TiengParser:
    """A spaCy pipeline component after ``tieng_tagger``: ``token.head`` and ``token.dep_``
    from tieng's dependency parser (the bundled one is CC BY-SA 4.0), so that ``displacy``
    draws the trees.  Sentences are the doc's (when it has them) or its lines, as the tagger
    reads them; a white-space token hangs from the word before it (``dep``)."""

    def __init__(self, model: str | None = None) -> None:
        self.model = model
        self.parser = Parser(model)

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        for doc in docs:
            sentences: list[list] = []
            for t in doc:
                if t.is_space:
                    continue
                brk = t.i == 0 or (doc.has_annotation("SENT_START") and t.is_sent_start)
                if brk or not sentences or "\n" in doc[t.i - 1].text_with_ws:
                    sentences.append([])
                sentences[-1].append(t)
            trees = self.parser.parse(
                [[t.text for t in s] for s in sentences], [[t.tag_ for t in s] for s in sentences]
            )
            heads = [t.i for t in doc]
            deps = ["dep"] * len(doc)
            for sentence, (hs, rels) in zip(sentences, trees):
                for t, h, rel in zip(sentence, hs, rels):
                    heads[t.i] = t.i if h == 0 else sentence[h - 1].i
                    deps[t.i] = "ROOT" if h == 0 else rel
            for t in doc:
                if t.is_space and t.i > 0:
                    heads[t.i] = t.i - 1
            for t in doc:
                t.head = doc[heads[t.i]]
                t.dep_ = deps[t.i]
            yield doc


@Language.factory("tieng_parser", default_config={"model": None})
def create_parser(nlp: Language, name: str, model: str | None) -> TiengParser:
    """The ``tieng_parser`` component (after ``tieng_tagger``); ``model`` is a parser model
    file (default: the bundled ``vtb-parser``)."""
    return TiengParser(model)
