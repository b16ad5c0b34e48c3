"""What the service takes and gives: the requests and answers of its JSON API."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _BadRequest(Exception):
    """A request the schema admits but the service cannot serve (an unknown model, say)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


# ------------------------------------------------------------------ schema
class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="One text (give this or `texts`).")
    texts: list[str | None] | None = Field(
        None,
        description="Many texts, answered in order; a null (a gap in a column) is answered "
        "with null.",
    )

    @model_validator(mode="after")
    def _one_of(self) -> _Input:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' and 'texts'")
        for i, text in enumerate(self.all_texts()):
            bad = text is not None and _SURROGATE.search(text)
            if bad:
                where = "text" if self.text is not None else f"texts[{i}]"
                raise ValueError(
                    f"{where} holds a lone surrogate (\\u{ord(bad.group()):04x} at offset "
                    f"{bad.start()}), half of a UTF-16 pair, which is not a character: send "
                    "valid Unicode"
                )
        return self

    def all_texts(self) -> list[str | None]:
        """The texts asked for, nulls (gaps in a column) included."""
        return [self.text] if self.text is not None else list(self.texts or [])


class SegmentRequest(_Input):
    """Texts to segment, and how."""

    sentences: bool = Field(
        False,
        description="Split into sentences: `text` gets one sentence a line, and "
        "`sentences` lists the words of each.",
    )
    confidence: bool = Field(
        False, description="Give each word a calibrated `confidence` (0-1) that it is right."
    )
    text_only: bool = Field(
        False,
        description="Give each result's `text` (the underscore format) alone, without "
        "`words` and offsets: several times faster for large batches.",
    )
    model: str | None = Field(
        None,
        description="A bundled model by name (`vlsp2013`, or `vlsp2013-unaccented` for text "
        "typed without diacritics) when the service runs a bundled model; default: the "
        "service's model.",
        max_length=64,
    )
    words: list[str] | None = Field(
        None,
        description="Words to join in these texts (a user dictionary for this request, on "
        "top of the service's): each a word of several syllables, written with spaces.",
        max_length=1000,
    )
    restore: bool = Field(
        False,
        description="Add `restored`: the text with the diacritics it was typed without "
        "restored (the same length; the words still point at the text as sent).",
    )

    @model_validator(mode="after")
    def _text_only(self) -> SegmentRequest:
        if self.text_only and self.confidence:
            raise ValueError("'confidence' goes with words, which 'text_only' leaves out")
        if self.text_only and self.restore:
            raise ValueError(
                "'restore' adds a field beside the words, which 'text_only' leaves out"
            )
        return self


class TagRequest(SegmentRequest):
    """Texts to segment and tag, and how."""

    segmented: bool = Field(
        False,
        description="The texts are segmented already (words by spaces, the syllables of a "
        "word joined by `_`): tag them as they are, each text one sentence. Offsets are "
        "then into the segmented text.",
    )

    @model_validator(mode="after")
    def _segmented_alone(self) -> TagRequest:
        if self.segmented and (self.sentences or self.confidence or self.words):
            raise ValueError(
                "'sentences', 'confidence' and 'words' are about segmenting, which "
                "'segmented' texts do not need"
            )
        return self


class ParseRequest(TagRequest):
    """Texts to segment, tag and parse (each word's head and relation, sentence by sentence:
    the results' `sentences`)."""

    @model_validator(mode="after")
    def _words_needed(self) -> ParseRequest:
        if self.text_only:
            raise ValueError("a parse is of the words, which 'text_only' leaves out")
        return self


class TokenizeRequest(_Input):
    """Texts to tokenize."""


class RestoreRequest(_Input):
    """Texts to restore the diacritics of."""

    confidence: bool = Field(
        False,
        description="Add `syllables`: each syllable the model read, what it became and the "
        "model's probability for it.",
    )


class Word(BaseModel):
    text: str = Field(description="The word exactly as in the input.")
    start: int = Field(description="Offset of its first character (code points).")
    end: int = Field(description="Offset just past its last character.")
    confidence: float | None = Field(
        None, description="Probability that the word is right (asked with `confidence`)."
    )
    tag: str | None = Field(None, description="Its part of speech, a VLSP 2013 tag (from /v1/tag).")
    head: int | None = Field(
        None,
        description="From /v1/parse: its head's position in its sentence (1 for the first "
        "word; 0: the sentence's root).",
    )
    deprel: str | None = Field(
        None, description="From /v1/parse: its relation to its head (UD, as VTB writes it)."
    )


class Segmented(BaseModel):
    text: str = Field(
        description="The VLSP underscore format (from /v1/tag with `text_only`: the tagged "
        "format, each word followed by /TAG)."
    )
    tagged: str | None = Field(
        None, description="From /v1/tag: the text with each word followed by /TAG."
    )
    words: list[Word] | None = Field(None, description="Left out with `text_only`.")
    sentences: list[list[Word]] | None = None
    hint: str | None = Field(
        None,
        description="Present when the text looks typed without diacritics, which the "
        "model asked for does not read well: names the model that fits it.",
    )
    model: str | None = Field(
        None,
        description="The bundled model that read the text, when the service chose it (no "
        "`model` in the request, and the service runs the default): vlsp2013, or "
        "vlsp2013-unaccented for text typed without diacritics.",
    )
    restored: str | None = Field(
        None, description="Asked with `restore`: the text with its diacritics restored."
    )


class Syllable(BaseModel):
    text: str = Field(description="What the syllable became (the same length).")
    original: str = Field(description="The syllable as sent.")
    start: int = Field(description="Offset of its first character (code points).")
    end: int = Field(description="Offset just past its last character.")
    confidence: float = Field(description="The model's probability for it.")


class Restored(BaseModel):
    text: str = Field(description="The text with its diacritics restored (the same length).")
    syllables: list[Syllable] | None = Field(None, description="Asked with `confidence`.")


class RestoreResponse(BaseModel):
    results: list[Restored | None]


class Token(BaseModel):
    text: str = Field(description="The token exactly as in the input.")
    start: int = Field(description="Offset of its first character (code points).")
    end: int = Field(description="Offset just past its last character.")


class SegmentResponse(BaseModel):
    results: list[Segmented | None]  # (null for a null text)


class Tokenized(BaseModel):
    tokens: list[Token]


class TokenizeResponse(BaseModel):
    results: list[Tokenized | None]


class Health(BaseModel):
    status: str
    version: str
    model: dict[str, Any]
    worker: int  # the process id of the worker that answered (tieng serve --workers N)


class Error(BaseModel):
    error: str
    detail: Any = None
