"""Drop-ins for code written for other Vietnamese toolkits: the common calls of underthesea,
pyvi and VnCoreNLP (py_vncorenlp), with their signatures and output formats, answered by
tieng's bundled models.

>>> from tieng.compat.underthesea import word_tokenize
>>> word_tokenize("Hà Nội có nhiều hồ", format="text")
'Hà_Nội có nhiều hồ'

Each module imports only tieng's public API (and never the peer it stands in for).  The
words are tieng's: where the models differ, so may the output; the formats are the peers'.
The README's "Coming from underthesea, pyvi, VnCoreNLP or PhoBERT" has the table of
equivalents.
"""
