"""Training and evaluation (offline; ``pip install 'tieng[train]'`` for scipy).

- :mod:`~tieng.training.segmenter`: train a segmentation model (:func:`train`), read corpora
  and word lists, split dev folds;
- :mod:`~tieng.training.tagger`: train a part-of-speech tagger (:func:`train_tagger`);
- :mod:`~tieng.training.corpora`: the annotated formats (segmented text, tagged text, CoNLL-U);
- :mod:`~tieng.training.evaluation`: word and tag F1 against gold annotation.

The names below are loaded on first use, so ``import tieng.training.evaluation`` (the CLI's
``evaluate``) does not load the trainers.

>>> from tieng.training import train, train_tagger
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .segmenter import read_corpus, read_word_list, split_dev, syllable_classes, train
    from .tagger import accuracy, read_tagged, train_tagger

__all__ = [
    "accuracy",
    "read_corpus",
    "read_tagged",
    "read_word_list",
    "split_dev",
    "syllable_classes",
    "train",
    "train_tagger",
]
_HOME = {
    "accuracy": "tagger",
    "read_corpus": "segmenter",
    "read_tagged": "tagger",
    "read_word_list": "segmenter",
    "split_dev": "segmenter",
    "syllable_classes": "segmenter",
    "train": "segmenter",
    "train_tagger": "tagger",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
