"""The treebank-style dev folds that every tuning script scores on (docs/REPORT.md).

vlsp2013_ws_train.txt ends with sentences from the Viet Treebank, like the test set: from
line TREEBANK_START on. Their 200-sentence blocks fall into five folds by a seeded hash; a
dev fold is one of them, and the model is trained on everything else.
"""

from __future__ import annotations

import zlib

TREEBANK_START = 68_200  # first line of the treebank-style part of vlsp2013_ws_train.txt
FOLDS = 5


def in_dev_fold(line: int, fold: int) -> bool:
    """Whether sentence ``line`` (0-based) of vlsp2013_ws_train.txt is in dev fold ``fold``.

    >>> in_dev_fold(10, 0), sum(in_dev_fold(i, 0) for i in range(68_200, 75_389))
    (False, 1000)
    """
    return line >= TREEBANK_START and zlib.crc32(f"13:{line // 200}".encode()) * FOLDS >> 32 == fold
