/* common.h: what every part of tieng._speedups shares: the Python headers, the ABI version,
 * the hash constants, the template sources of the scorer, the span tables and buffer checks.
 *
 * Part of the one extension tieng._speedups (see _speedups.c); not compiled on its own. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Bumped whenever a function's arguments or a constant below change: tieng._accel checks it
 * and falls back to the Python code (with a warning) when an old build is left behind. */
#define ABI_VERSION 10
/* tieng.Word's fields: text, start, end, confidence, tag, head, deprel, arc_confidence. */
#define WORD_FIELDS 8

#define M1 0x9E3779B97F4A7C15ULL
#define M2 0xBF58476D1CE4E5B9ULL
#define M3 0x94D049BB133111EBULL
#define LEX_MULT 0x100000001B3ULL
#define SHAPE_COUNT 16
#define LEX_BITS_MAX 5

/* Per-gap values a template can read; must match tieng.engine.features.template_sources. */
enum {
    SRC_ID = 0,        /* + offset + 2: vocabulary id at offsets -2..3 */
    SRC_SHAPE = 6,     /* + offset + 2: shape */
    SRC_CLASS = 12,    /* + offset + 2: syllable class */
    SRC_PACKED2 = 18,  /* shapes (0, 1) packed base 16 */
    SRC_PACKED4 = 19,  /* shapes (-1, 0, 1, 2) */
    SRC_PACKED6 = 20,  /* shapes (-2 .. 3) */
    SRC_LEXBIT = 21,   /* 10 bits: known word of length L (2..5) covering the gap at rank r */
    SRC_LONGER = 31,
    SRC_MASK = 32,
    SRC_END_LEN = 33,
    SRC_START_LEN = 34,
    SRC_BIGRAM = 35,
    SRC_ANY_LONGER = 36,
    SRC_LIST = 37,     /* + list * 7: mask, longer, end, start, overlap, agreement, said */
    N_SOURCES = 37 + 7 * 8
};
#define MAX_LISTS 8
#define LIST_SOURCES 7

#define MAX_TEMPLATES 128
#define MAX_COMPONENTS 8

typedef struct {
    int n;
    int src[MAX_COMPONENTS];
    int64_t domain[MAX_COMPONENTS];
    const float *table; /* NULL: hashed into the weights */
    Py_ssize_t table_len;
    uint64_t seed;
} template_t;

/* features.SpanTable: keys (0: empty) and flags of token spans, open addressing with
 * linear probing; a trailing empty slot ends every probe. */
typedef struct {
    const uint64_t *keys;
    const uint16_t *flags;
    Py_ssize_t len;
    int bits;
} spantable_t;

#define SPAN_PREFIX 0x100u /* features.SpanTable.PREFIX */
/* features.SyllableFlag */
#define FLAG_FAMILY 1
#define FLAG_MIDDLE 2
#define FLAG_OPENER 4
#define FLAG_UNGLUED 8
#define FLAG_SENTENCE_END 16

static inline unsigned
st_flags(const spantable_t *t, uint64_t key)
{
    for (Py_ssize_t i = (Py_ssize_t)((key * M2) >> (64 - t->bits));; i++) {
        const uint64_t k = t->keys[i];
        if (k == key)
            return t->flags[i];
        if (k == 0)
            return 0;
    }
}

static int
get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    if (view->itemsize != itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: items of %zd bytes expected, not %zd", name,
                     itemsize, view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* A features.SpanTable from its as_args() tuple (keys, flags, bits); the buffers are
 * released by the caller. */
static int
spantable_from(PyObject *args, Py_buffer *b_keys, Py_buffer *b_flags, spantable_t *out)
{
    PyObject *o_keys, *o_flags;
    int bits;
    if (!PyArg_ParseTuple(args, "OOi", &o_keys, &o_flags, &bits))
        return -1;
    if (get_buffer(o_keys, b_keys, 8, 0, "span table keys") < 0)
        return -1;
    if (get_buffer(o_flags, b_flags, 2, 0, "span table flags") < 0)
        return -1;
    out->keys = (const uint64_t *)b_keys->buf;
    out->flags = (const uint16_t *)b_flags->buf;
    out->len = b_keys->len / 8;
    out->bits = bits;
    /* Every probe must end inside the table: on the trailing empty slot at the latest. */
    if (bits < 1 || bits > 40 || out->len <= ((Py_ssize_t)1 << bits) ||
        b_flags->len / 2 != out->len || out->keys[out->len - 1] != 0) {
        PyErr_SetString(PyExc_ValueError, "span table: keys, flags and bits do not match");
        return -1;
    }
    return 0;
}
