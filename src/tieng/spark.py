"""Segmenting a column of a Spark DataFrame (``pip install 'tieng[spark]'``).

    from tieng.spark import segment_column
    out = segment_column(df, "text", "segmented")
    tagged = segment_column(df, "text", "tagged", tags=True)   # Hà_Nội/Np có/V ...
    marked = restore_column(df, "text", "restored")   # Ha Noi -> Hà Nội

The work runs in ``mapInPandas``: each Python worker of each executor loads the model once
and reuses it for every batch of rows it gets, never once per row.  ``tieng`` must be
installed on the executors (or shipped with ``--py-files``); see the README.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

from .dictionary import UserDictionary
from .restoration import BUNDLED_RESTORERS, Restorer
from .segmentation import BUNDLED_MODELS, Segmenter

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import DataFrame

__all__ = ["restore_column", "segment_column"]

_loaded: dict[tuple[str | None, bool, UserDictionary | None], Segmenter] = {}
_restorers: dict[str | None, Restorer] = {}


def _local(path: str | None, bundled: dict[str, str]) -> str | None:
    """A model's name or path as this executor reads it (a file shipped with --files / addFile
    by its base name)."""
    if path is not None and path not in bundled and not os.path.exists(path):
        from pyspark import SparkFiles

        return SparkFiles.get(os.path.basename(path))
    return path


def _segmenter(
    model: str | None, pretokenized: bool, dictionary: UserDictionary | None = None
) -> Segmenter:
    """The segmenter of this Python worker, loaded on its first batch."""
    key = (model, pretokenized, dictionary)
    seg = _loaded.get(key)
    if seg is None:
        path = _local(model, BUNDLED_MODELS)
        seg = Segmenter(path, pretokenized=pretokenized, dictionary=dictionary)
        _loaded[key] = seg
    return seg


def _restorer(model: str | None) -> Restorer:
    """The restorer of this Python worker, loaded on its first batch."""
    r = _restorers.get(model)
    if r is None:
        r = _restorers[model] = Restorer(_local(model, BUNDLED_RESTORERS))
    return r


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
    parse: bool = False,
) -> DataFrame:
    """``df`` with a column ``output_col`` holding ``input_col`` in the underscore format.

    ``model`` is ``None`` for the bundled model, the name of another bundled model
    (``"vlsp2013-unaccented"``), or the path of a model file that every executor can read
    (or a file shipped with ``spark-submit --files``, named by its base name).
    ``dictionary`` is a :class:`~tieng.UserDictionary` (user words, never-join entries, known
    words); it travels to the executors with the task.  With ``tags=True`` every word is
    followed by ``/`` and its part of speech (the bundled tagger), as ``tieng tag`` writes;
    with ``parse=True`` the column holds each text's CoNLL-U (words, tags, heads and
    relations), as ``tieng parse`` writes it.
    Null texts give null.  Every other column is kept as it is.
    """

    def work(texts: list[str]) -> Iterator[str]:
        seg = _segmenter(model, pretokenized, dictionary)
        return seg.pipe_text(texts, batch_size, tags=tags, parse=parse)

    return _map_column(df, input_col, output_col, work)


def restore_column(
    df: DataFrame,
    input_col: str = "text",
    output_col: str = "restored",
    *,
    restorer: str | None = None,
    batch_size: int = 1024,
) -> DataFrame:
    """``df`` with a column ``output_col`` holding ``input_col`` with the diacritics it was
    typed without restored (:func:`tieng.restore`).  ``restorer`` is ``None`` for the bundled
    restorer or the path of a restorer model file (as ``model`` in :func:`segment_column`).
    Null texts give null; every other column is kept as it is.
    """

    def work(texts: list[str]) -> Iterator[str]:
        r = _restorer(restorer)
        for i in range(0, len(texts), batch_size):
            yield from r.restore_many(texts[i : i + batch_size])

    return _map_column(df, input_col, output_col, work)


def _map_column(df: DataFrame, input_col: str, output_col: str, work) -> DataFrame:
    """``df`` with ``output_col`` made from ``input_col`` by ``work`` (a list of texts to an
    iterator of strings), batch by batch in ``mapInPandas``; nulls stay null."""
    from pyspark.sql.types import StringType, StructField, StructType

    if input_col not in df.columns:
        raise ValueError(f"no column {input_col!r} in the DataFrame ({', '.join(df.columns)})")
    if output_col in df.columns and output_col != input_col:
        raise ValueError(f"column {output_col!r} exists already")
    fields = [f for f in df.schema.fields if f.name != output_col]
    schema = StructType([*fields, StructField(output_col, StringType(), True)])

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        for pdf in batches:
            texts = pdf[input_col]
            present = texts.notna()
            result: list[str | None] = [None] * len(pdf)
            done = work(texts[present].astype(str).tolist())
            for i, text in zip(present.to_numpy().nonzero()[0].tolist(), done):
                result[i] = text
            pdf = pdf.copy()
            pdf[output_col] = result
            yield pdf[[f.name for f in schema.fields]]

    return df.mapInPandas(cast(Any, run), schema)  # pyspark's stubs want its own alias
