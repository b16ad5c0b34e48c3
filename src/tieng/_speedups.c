/* Compiled twins of tieng's per-token loops; the Python code stays the reference.
 *
 * One extension, one translation unit: this file includes the parts in csrc/, one a job (their
 * functions stay static), and holds the module's table of entry points.  The entry points, by
 * job and file (each has a comment of its own where it is defined):
 *
 * Scanning and tokens (csrc/scan.c)
 *   scan_chunks: tieng.tokenization.scan's loop (text cut at single spaces, chunks of letters
 *     taken as tokens, the commonest punctuation cases split directly), calling back to the
 *     regular expression for every other chunk; it can give offsets only.
 *   CodeTable, lookup_codes, codes_of_spans: the token -> code caches of
 *     tieng.engine.vocabulary.Vocabulary (and the tagger's word -> row cache), looked up by the
 *     characters of a slice, without a str object per token.
 *   count_words: len(text.split()) without the list (the syllable count of a batch).
 * Features and scores (csrc/scores.c)
 *   Scorer: the feature scoring of tieng.engine.features.ScoreTables.scores, its settings read
 *     once.  Each template's weights are summed in numpy's order, so the float32 sums are the
 *     same bit for bit.
 *   table_weights, widen_codes: the tables of small-domain templates ScoreTables builds or reads.
 *   tie_gaps: the gaps around an unglued syllable decided together (Model.join_scores).
 *   span_keys, span_table: the lexicon's and the word lists' hash tables (features.SpanTable).
 * Decoders (csrc/decoders.c)
 *   Line: one text of one line, scanned, looked up, scored and joined in one call (the
 *     per-call path of tieng.segmentation.Segmenter; its outputs are segmentation.LineOut).
 *   viterbi, tag_rows: the tag decoder of tieng.tagging (feature sums and Viterbi, integers),
 *     for a batch and for one sentence.
 * Restoring diacritics (csrc/restore.c)
 *   restore_choices: the restorer's choice of written form for each syllable (the hashed
 *     features of tieng.candidates and the first best sum of int8 weights).
 *   write_forms: those forms written into the text's code points, letter by letter in the
 *     case written.
 *   parser_rows: the weight rows of the dependency parser's features (tieng.parsing).
 * Words and writers (csrc/writers.c)
 *   write_segmented: the underscore format of a batch (tieng.engine.batch.texts_of).
 *   make_words, with_tags: the Word objects of a batch, and of one text with its tags.
 *   spans_json: words or tokens as JSON bytes (tieng.engine.batch.spans_json).
 * Process (here)
 *   keep_freed_memory: glibc malloc settings for programs that own their process (the CLI, the
 *     server), so the large arrays of each batch reuse memory instead of faulting in new pages.
 *
 * Only a CodeTable holds state (a cache; callers serialize its use, as Segmenter does with
 * its lock).  Everything else only reads its inputs and writes its output, and the scorers let
 * other threads run meanwhile.  tests/test_speedups.py checks every function against its
 * Python twin.
 */
#include "csrc/common.h"
#include "csrc/scan.c"
#include "csrc/scores.c"
#include "csrc/writers.c"
#include "csrc/decoders.c"
#include "csrc/restore.c"

/* keep_freed_memory(): every batch allocates arrays of a few MB and frees them again.  glibc
 * serves those from fresh mmap()s, or trims the heap after each free, so each batch faults its
 * pages in anew (about a tenth of the CLI's time went to the kernel).  Serve blocks below
 * 32 MB from the heap, grow it 64 MB at a time, and give its top back to the kernel only
 * when more than 128 MB of it is free.  Process-wide: only for programs that own their
 * process.  Returns whether the allocator took the settings (False off glibc). */
static PyObject *
keep_freed_memory(PyObject *self, PyObject *unused)
{
#if defined(__GLIBC__)
    int ok = mallopt(M_MMAP_THRESHOLD, 32 << 20);
    ok &= mallopt(M_TRIM_THRESHOLD, 128 << 20);
    ok &= mallopt(M_TOP_PAD, 64 << 20);
    return PyBool_FromLong(ok);
#else
    Py_RETURN_FALSE;
#endif
}

static PyMethodDef methods[] = {
    {"keep_freed_memory", keep_freed_memory, METH_NOARGS,
     "Tune glibc malloc to keep freed memory for reuse (process-wide); False off glibc."},
    {"restore_choices", restore_choices, METH_VARARGS,
     "The restorer's choice for each syllable (tieng.candidates)."},
    {"parser_rows", parser_rows, METH_VARARGS,
     "The weight rows of the parser's features (tieng.parsing._rows)."},
    {"write_forms", write_forms, METH_VARARGS,
     "Restored syllables written into a text's code points, in the case of each letter."},
    {"scan_chunks", scan_chunks, METH_VARARGS,
     "Tokens, starts and line breaks of a text (see tieng.tokenization.scan)."},
    {"lookup_codes", lookup_codes, METH_VARARGS,
     "Codes of many tokens from a code cache (see tieng.engine.vocabulary.Vocabulary.codes)."},
    {"make_words", make_words, METH_VARARGS,
     "The Word objects of a batch from its offsets (see tieng.engine.batch.results_of)."},
    {"spans_json", spans_json, METH_VARARGS,
     "The JSON array of a list of (text, start, end, ...) tuples (with tags: the fifth item), "
     "as orjson writes it."},
    {"tie_gaps", tie_gaps, METH_VARARGS,
     "The gaps on both sides of an unglued syllable decided together (see _pure.tie_gaps)."},
    {"widen_codes", widen_codes, METH_VARARGS,
     "float32 values of float16 or 8-bit codes, through a lookup table (see ScoreTables)."},
    {"table_weights", table_weights, METH_VARARGS,
     "The weight of every value of a small-domain template (see ScoreTables)."},
    {"count_words", count_words, METH_O, "len(text.split()), without the list."},
    {"span_keys", span_keys, METH_VARARGS,
     "Keys of the rows of ids and of their prefixes (see features.Lexicon)."},
    {"span_table", span_table, METH_VARARGS,
     "The slots of a features.SpanTable from its keys and flags."},
    {"codes_of_spans", codes_of_spans, METH_VARARGS,
     "Codes of the tokens text[starts[i]:ends[i]], through a CodeTable."},
    {"with_tags", with_tags, METH_VARARGS,
     "Word objects with their tags, and the tagged underscore text (see Segmented.tagged)."},
    {"tag_rows", tag_rows, METH_VARARGS,
     "Part-of-speech tags of one sentence from its words' attribute rows."},
    {"viterbi", viterbi, METH_VARARGS,
     "Part-of-speech tags of sentences (see tieng.tagging.decode)."},
    {"write_segmented", write_segmented, METH_VARARGS,
     "The underscore format of each document, from token offsets and separator kinds."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Compiled twins of tieng's hot loops.", -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&CodeTableType) < 0 || PyType_Ready(&ScorerType) < 0 ||
        PyType_Ready(&LineType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&CodeTableType);
    if (PyModule_AddObject(m, "CodeTable", (PyObject *)&CodeTableType) < 0) {
        Py_DECREF(&CodeTableType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&ScorerType);
    if (PyModule_AddObject(m, "Scorer", (PyObject *)&ScorerType) < 0) {
        Py_DECREF(&ScorerType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&LineType);
    if (PyModule_AddObject(m, "Line", (PyObject *)&LineType) < 0) {
        Py_DECREF(&LineType);
        Py_DECREF(m);
        return NULL;
    }
    /* The constants the Python side must agree with (tests/test_speedups.py compares them
     * with tieng.engine.features). */
    if (PyModule_AddIntConstant(m, "ABI_VERSION", ABI_VERSION) < 0 ||
        PyModule_AddIntConstant(m, "SHAPE_COUNT", SHAPE_COUNT) < 0 ||
        PyModule_AddIntConstant(m, "LEX_BITS_MAX", LEX_BITS_MAX) < 0 ||
        PyModule_AddIntConstant(m, "MAX_LISTS", MAX_LISTS) < 0 ||
        PyModule_AddIntConstant(m, "LIST_SOURCES", LIST_SOURCES) < 0 ||
        PyModule_AddIntConstant(m, "SRC_LIST", SRC_LIST) < 0 ||
        PyModule_AddIntConstant(m, "N_SOURCES", N_SOURCES) < 0 ||
        PyModule_AddIntConstant(m, "SPAN_PREFIX", SPAN_PREFIX) < 0 ||
        PyModule_AddIntConstant(m, "MAX_TEMPLATES", MAX_TEMPLATES) < 0 ||
        PyModule_AddIntConstant(m, "TAG_WIDTH", TAG_WIDTH) < 0 ||
        PyModule_AddIntConstant(m, "TITLE_MIN", TITLE_MIN) < 0 ||
        PyModule_AddIntConstant(m, "CAPS_MIN", CAPS_MIN) < 0 ||
        PyModule_AddIntConstant(m, "CAPS_NUM", CAPS_NUM) < 0 ||
        PyModule_AddIntConstant(m, "CAPS_DEN", CAPS_DEN) < 0 ||
        PyModule_AddIntConstant(m, "TITLE_NUM", TITLE_NUM) < 0 ||
        PyModule_AddIntConstant(m, "TITLE_DEN", TITLE_DEN) < 0 ||
        PyModule_AddIntConstant(m, "PAD_TOKENS", PAD_TOKENS) < 0 ||
        PyModule_AddIntConstant(m, "SHAPE_FOREIGN", SHAPE_FOREIGN) < 0 ||
        PyModule_AddIntConstant(m, "SHAPE_FOREIGN_TITLE", SHAPE_FOREIGN_TITLE) < 0 ||
        PyModule_AddIntConstant(m, "SHAPE_COUNTRY", SHAPE_COUNTRY) < 0 ||
        PyModule_AddIntConstant(m, "FLAG_UNGLUED", FLAG_UNGLUED) < 0 ||
        PyModule_AddIntConstant(m, "FLAG_ALL", FLAG_FAMILY | FLAG_MIDDLE | FLAG_OPENER |
                                                   FLAG_UNGLUED | FLAG_SENTENCE_END) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
