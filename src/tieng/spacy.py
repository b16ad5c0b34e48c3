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
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator

from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

from .segmentation import Segmenter

__all__ = ["TiengTokenizer", "create_tokenizer"]


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
