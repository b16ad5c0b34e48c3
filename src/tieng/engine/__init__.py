"""The segmentation engine: what the model reads of the tokens and how a batch is built.

- :mod:`~tieng.engine.vocabulary`: token -> code (syllable id and shape), cached;
- :mod:`~tieng.engine.features`: the feature templates, the hash tables of known words and
  word lists, and the score tables;
- :mod:`~tieng.engine.batch`: many texts analysed at once, and the results built from them.

Nothing here is public API: :class:`tieng.Segmenter` puts it together.
"""
