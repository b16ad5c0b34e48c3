"""When a sentence is written in capitals or in Title Case: one rule, with named thresholds.

In a heading (``THỦ TƯỚNG PHẠM MINH CHÍNH TIẾP ĐẠI SỨ``, ``Thủ Tướng Tiếp Đại Sứ``) case says
nothing about names, so the segmenter and the tagger read such a sentence as if it were written
in sentence case.  The same thresholds are compiled into the C helper (``#define CAPS_MIN`` and
the rest in ``_speedups.c``); ``tests/test_build.py`` checks that they agree.

This module imports nothing of tieng.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CAPS_MIN", "CAPS_SHARE", "TITLE_MIN", "TITLE_SHARE", "in_capitals", "in_title_case"]

CAPS_MIN = 2  # words in capitals a sentence needs to be read as written in capitals ...
CAPS_SHARE = (3, 4)  # ... and at least this share of its words with letters
TITLE_MIN = 4  # capitalized words a sentence needs to be read as Title Case ...
TITLE_SHARE = (9, 10)  # ... and at least this share of its words with letters (capitals count)


def in_capitals(n_letters: np.ndarray, n_upper: np.ndarray) -> np.ndarray:
    """For each sentence, from its counts of words with letters and of words in capitals:
    is it written in capitals?

    >>> in_capitals(np.array([4, 4, 1]), np.array([3, 2, 1])).tolist()
    [True, False, False]
    """
    num, den = CAPS_SHARE
    return (n_upper >= CAPS_MIN) & (den * n_upper >= num * n_letters)


def in_title_case(n_letters: np.ndarray, n_upper: np.ndarray, n_title: np.ndarray) -> np.ndarray:
    """For each sentence: is it in Title Case (capitalized words, capitals counting too)?

    >>> in_title_case(np.array([5, 5]), np.array([0, 0]), np.array([5, 3])).tolist()
    [True, False]
    """
    num, den = TITLE_SHARE
    return (n_title >= TITLE_MIN) & (den * (n_title + n_upper) >= num * n_letters)
