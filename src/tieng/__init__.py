"""tieng: Vietnamese word segmentation, part-of-speech tagging and diacritics restoration.

>>> import tieng
>>> tieng.segment_text("Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới.")
'Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm trong năm tới .'
>>> [w.text for w in tieng.segment("Hà Nội có nhiều hồ")]
['Hà Nội', 'có', 'nhiều', 'hồ']
>>> tieng.restore("Ha Noi co nhieu ho")
'Hà Nội có nhiều hồ'
"""

from .container import ModelError
from .dictionary import DictionaryError, UserDictionary
from .model import Model
from .normalization import looks_unaccented, normalize
from .registry import BUNDLED_MODELS, BUNDLED_PARSERS, BUNDLED_RESTORERS, BUNDLED_TAGGERS
from .segmentation import (
    Segmenter,
    default_segmenter,
    segment,
    segment_text,
    tag,
)
from .sentences import split_sentences
from .tagging import Tagger, TaggerModel, upos
from .tokenization import tokenize
from .values import Segmented, Span, Word, escape_token, parse_segmented

# The restorer's and the parser's modules load at first use (PEP 562): most programs never
# restore or parse, and each costs a few milliseconds of every start.
_LATER = {
    "Parser": "parsing",
    "ParserModel": "parsing",
    "Restorer": "restoration",
    "RestorerModel": "restoration",
    "Syllable": "restoration",
    "restore": "restoration",
}


def __getattr__(name: str) -> object:
    if name in _LATER:
        from importlib import import_module

        value = getattr(import_module(f".{_LATER[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LATER))


__version__ = "0.3.0"  # the one place it is set: pyproject.toml reads it from here

__all__ = [
    "BUNDLED_MODELS",
    "BUNDLED_PARSERS",
    "BUNDLED_RESTORERS",
    "BUNDLED_TAGGERS",
    "DictionaryError",
    "Model",
    "ModelError",
    "Parser",
    "ParserModel",
    "Restorer",
    "RestorerModel",
    "Segmented",
    "Segmenter",
    "Span",
    "Syllable",
    "Tagger",
    "TaggerModel",
    "UserDictionary",
    "Word",
    "__version__",
    "default_segmenter",
    "escape_token",
    "looks_unaccented",
    "normalize",
    "parse_segmented",
    "restore",
    "segment",
    "segment_text",
    "split_sentences",
    "tag",
    "tokenize",
    "upos",
]
