"""tieng: Vietnamese word segmentation.

>>> import tieng
>>> tieng.segment_text("Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới.")
'Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm trong năm tới .'
"""

from .dictionary import DictionaryError, UserDictionary
from .model import Model, ModelError
from .normalization import normalize
from .segmentation import (
    BUNDLED_MODELS,
    Segmenter,
    Word,
    default_segmenter,
    escape_token,
    parse_segmented,
    segment,
    segment_spans,
    segment_text,
)
from .sentences import split_sentences
from .tokenization import Span, tokenize

__version__ = "0.1.0"

__all__ = [
    "BUNDLED_MODELS",
    "DictionaryError",
    "Model",
    "ModelError",
    "Segmenter",
    "Span",
    "UserDictionary",
    "Word",
    "__version__",
    "default_segmenter",
    "escape_token",
    "normalize",
    "parse_segmented",
    "segment",
    "segment_spans",
    "segment_text",
    "split_sentences",
    "tokenize",
]
