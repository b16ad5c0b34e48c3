"""Segmenting a column of a Spark DataFrame (``pip install 'tieng[spark]'``).

    from tieng.spark import segment_column
    out = segment_column(df, "text", "segmented")
    tagged = segment_column(df, "text", "tagged", tags=True)   # Hà_Nội/Np có/V ...

The work runs in ``mapInPandas``: each Python worker of each executor loads the model once
and reuses it for every batch of rows it gets, never once per row.  ``tieng`` must be
installed on the executors (or shipped with ``--py-files``); see the README.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from .dictionary import UserDictionary
from .segmentation import BUNDLED_MODELS, Segmenter

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["segment_column"]

_loaded: dict[tuple[str | None, bool, UserDictionary | None], Segmenter] = {}


def _segmenter(
    model: str | None, pretokenized: bool, dictionary: UserDictionary | None = None
) -> Segmenter:
    """The segmenter of this Python worker, loaded on its first batch."""
    key = (model, pretokenized, dictionary)
    seg = _loaded.get(key)
    if seg is None:
        path = model
        if model is not None and model not in BUNDLED_MODELS and not os.path.exists(model):
            from pyspark import SparkFiles  # a file shipped with --files / addFile

            path = SparkFiles.get(os.path.basename(model))
        seg = Segmenter(path, pretokenized=pretokenized, dictionary=dictionary)
        _loaded[key] = seg
    return seg


def segment_column(
    df: DataFrame,
    input_col: str = "text",
    output_col: str = "segmented",
    *,
    model: str | None = None,
    pretokenized: bool = False,
    dictionary: UserDictionary | None = None,
    batch_size: int = 1024,
    tags: bool = False,
) -> DataFrame:
    """``df`` with a column ``output_col`` holding ``input_col`` in the underscore format.

    ``model`` is ``None`` for the bundled model, the name of another bundled model
    (``"vlsp2013-unaccented"``), or the path of a model file that every executor can read
    (or a file shipped with ``spark-submit --files``, named by its base name).
    ``dictionary`` is a :class:`~tieng.UserDictionary` (user words, never-join entries, known
    words); it travels to the executors with the task.  With ``tags=True`` every word is
    followed by ``/`` and its part of speech (the bundled tagger), as ``tieng tag`` writes.
    Null texts give null.  Every other column is kept as it is.
    """
    from pyspark.sql.types import StringType, StructField, StructType

    if input_col not in df.columns:
        raise ValueError(f"no column {input_col!r} in the DataFrame ({', '.join(df.columns)})")
    if output_col in df.columns and output_col != input_col:
        raise ValueError(f"column {output_col!r} exists already")
    fields = [f for f in df.schema.fields if f.name != output_col]
    schema = StructType([*fields, StructField(output_col, StringType(), True)])

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        seg = _segmenter(model, pretokenized, dictionary)
        for pdf in batches:
            texts = pdf[input_col]
            present = texts.notna()
            result: list[str | None] = [None] * len(pdf)
            done = seg.pipe_text(texts[present].astype(str).tolist(), batch_size, tags=tags)
            for i, text in zip(present.to_numpy().nonzero()[0].tolist(), done):
                result[i] = text
            pdf = pdf.copy()
            pdf[output_col] = result
            yield pdf[[f.name for f in schema.fields]]

    return df.mapInPandas(cast(Any, run), schema)  # pyspark's stubs want its own alias
