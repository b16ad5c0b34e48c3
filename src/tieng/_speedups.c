/* Compiled twins of tieng's per-token loops; the pure-Python code stays the reference.
 *
 * score_gaps: the feature scoring of tieng.features.ScoreTables.scores, one gap at a time
 *   with every template's weight fetched and summed in the same order as numpy does it, so
 *   the float32 sums are bit for bit the same.
 * table_weights: the tables of small-domain templates that ScoreTables builds at start-up.
 * scan_chunks: the fast path of tieng.tokenization.scan (text cut at single spaces, chunks of
 *   letters taken as tokens, the commonest punctuation cases split directly), calling back to
 *   the regular expression for every other chunk; it can give offsets only.
 * lookup_codes: the token -> code cache lookups of tieng.vocabulary.Vocabulary.codes.
 * CodeTable, codes_of_spans, write_segmented: the plain-text path without a str object per
 *   token: codes looked up by the characters of a slice, output written from the offsets.
 * count_words: len(text.split()) without the list (the syllable count of a batch).
 * viterbi: the tag decoder of tieng.tagging.decode (feature sums and Viterbi, integers).
 * keep_freed_memory: glibc malloc settings for programs that own their process (the CLI, the
 *   server), so the large arrays of each batch reuse memory instead of faulting in new pages.
 *
 * Only a CodeTable holds state (a cache; callers serialize its use, as Segmenter does with
 * its lock).  Everything else only reads its inputs and writes its output buffer, and
 * score_gaps lets other threads run meanwhile.  tests/test_speedups.py checks every function
 * against its Python twin.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
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
#define ABI_VERSION 4

#define M1 0x9E3779B97F4A7C15ULL
#define M2 0xBF58476D1CE4E5B9ULL
#define M3 0x94D049BB133111EBULL
#define LEX_MULT 0x100000001B3ULL
#define SHAPE_COUNT 16
#define LEX_BITS_MAX 5

/* Per-gap values a template can read; must match tieng.features.template_sources. */
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

/* The words found in ids, as features._known_spans finds them, for the spans starting at
 * s0 .. s1-1: known[s - s0] bit L when tokens s .. s+L-1 form a word.  For the word lists
 * (lists > 0: the merged table of features.WordLists), known holds one array of ``stride`` a
 * list, and bit L of known[e * stride + s - s0] says that list e holds the span; for a
 * lexicon (lists == 0), known holds one array. */
static void
mark_known(const int64_t *ids, Py_ssize_t n, Py_ssize_t s0, Py_ssize_t s1,
           const spantable_t *table, int lists, int max_word, uint32_t *known, Py_ssize_t stride)
{
    for (Py_ssize_t s = s0; s < s1 && s + 1 < n; s++) {
        if (ids[s] == 0)
            continue;
        uint64_t h = (uint64_t)ids[s] + 1;
        for (int len = 2; len <= max_word; len++) {
            Py_ssize_t last = s + len - 1;
            if (last >= n || ids[last] == 0)
                break;
            h = h * LEX_MULT + (uint64_t)ids[last] + 1;
            const unsigned flags = st_flags(table, h * M3 + (uint64_t)len);
            if (lists == 0) {
                if (flags & 1u)
                    known[s - s0] |= 1u << len;
            }
            else {
                for (unsigned v = flags & 0xFFu, e = 0; v; v >>= 1, e++)
                    if (v & 1u)
                        known[(Py_ssize_t)e * stride + s - s0] |= 1u << len;
            }
            if (!(flags & SPAN_PREFIX))
                break;
        }
    }
}

/* What the words of a lexicon (or a word list) say of each gap, gathered in one pass over
 * the words found (known[s] bit L: a word of L tokens starts at s), as features._span_values
 * computes them for a gap g:
 *   mask:   bit 9 - k for the k-th (length 2..5, rank r) pair, in that order, when a word of
 *           that length starting at g - r covers the gap;
 *   longer: bit max_word - L when a word of length L > 5 covers the gap;
 *   end:    the length of the longest word ending at token g (0: none);
 *   start:  the length of the longest word starting at token g (0: none).
 * numpy's reads before the array's start (a negative index wraps to its end) never find a
 * word: a word there would run past the end, so no wrap is needed here. */
typedef struct {
    uint16_t mask;
    uint16_t longer;
    uint8_t end;
    uint8_t start;
} span_t;

static const int RANK_BASE[LEX_BITS_MAX + 1] = {0, 0, 0, 1, 3, 6};

static void
summarize_spans(const uint32_t *known, Py_ssize_t n, int max_word, span_t *out)
{
    for (Py_ssize_t s = 0; s < n; s++) {
        const uint32_t bits = known[s];
        if (bits == 0)
            continue;
        for (int len = 2; len <= max_word; len++) {
            if (!((bits >> len) & 1u))
                continue;
            out[s].start = (uint8_t)len;
            span_t *last = &out[s + len - 1];
            if (last->end < len)
                last->end = (uint8_t)len;
            if (len <= LEX_BITS_MAX) {
                for (int r = 0; r < len - 1; r++)
                    out[s + r].mask |= (uint16_t)(1u << (9 - (RANK_BASE[len] + r)));
            }
            else {
                for (int r = 0; r < len - 1; r++)
                    out[s + r].longer |= (uint16_t)(1u << (max_word - len));
            }
        }
    }
}

/* score_gaps(pid, psh, pcls, where, lexicon, max_word, hash_bits, weights, half_to_float,
 *            program, out, lists)
 * lexicon: the training lexicon's features.SpanTable as (keys, flags, bits);
 * lists: None, or the outside word lists of features.FeatureSpec.lists as the table of one
 * features.WordLists and the number of lists: (keys, flags, bits, count). */
static PyObject *
score_gaps(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *o_pid, *o_psh, *o_pcls, *o_where, *o_lexicon, *o_weights, *o_lut;
    PyObject *program, *o_out, *o_lists;
    int max_word, hash_bits;
    static char *kwlist[] = {"ids",     "shapes",  "classes",       "gaps",
                             "lexicon", "max_word", "hash_bits",    "weights",
                             "half_to_float", "program", "out",     "lists",
                             NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOiiOOOOO", kwlist, &o_pid, &o_psh,
                                     &o_pcls, &o_where, &o_lexicon, &max_word, &hash_bits,
                                     &o_weights, &o_lut, &program, &o_out, &o_lists))
        return NULL;
    if (max_word < LEX_BITS_MAX || max_word > 16 || hash_bits < 10 || hash_bits > 30) {
        PyErr_SetString(PyExc_ValueError, "feature settings out of range");
        return NULL;
    }
    Py_buffer b_pid = {0}, b_psh = {0}, b_pcls = {0}, b_where = {0}, b_keys = {0},
              b_flags = {0}, b_weights = {0}, b_lut = {0}, b_out = {0};
    Py_buffer b_tables[MAX_TEMPLATES];
    int n_tables = 0;
    template_t tpl[MAX_TEMPLATES];
    uint32_t *known = NULL;
    span_t *spans = NULL, *lspans = NULL;
    PyObject *result = NULL;
    PyObject *seq = NULL;
    int have_cls = o_pcls != Py_None;
    spantable_t lexicon, l_table;
    Py_buffer b_lkeys = {0}, b_lflags = {0};
    int n_lists = 0;
    uint32_t *lknown = NULL;

    if (get_buffer(o_pid, &b_pid, 8, 0, "pid") < 0)
        goto done;
    if (get_buffer(o_psh, &b_psh, 8, 0, "psh") < 0)
        goto done;
    if (have_cls && get_buffer(o_pcls, &b_pcls, 8, 0, "pcls") < 0)
        goto done;
    if (get_buffer(o_where, &b_where, 8, 0, "where") < 0)
        goto done;
    if (spantable_from(o_lexicon, &b_keys, &b_flags, &lexicon) < 0)
        goto done;
    if (PyObject_GetBuffer(o_weights, &b_weights, PyBUF_C_CONTIGUOUS) < 0)
        goto done;
    if (get_buffer(o_lut, &b_lut, 4, 0, "half_to_float") < 0)
        goto done;
    if (get_buffer(o_out, &b_out, 4, 1, "out") < 0)
        goto done;
    if (o_lists != Py_None) {
        PyObject *o_lk, *o_lf;
        int bits, count;
        if (!PyArg_ParseTuple(o_lists, "OOii", &o_lk, &o_lf, &bits, &count))
            goto done;
        if (count < 0 || count > MAX_LISTS) {
            PyErr_SetString(PyExc_ValueError, "too many word lists");
            goto done;
        }
        PyObject *table = Py_BuildValue("(OOi)", o_lk, o_lf, bits);
        if (table == NULL)
            goto done;
        int bad = spantable_from(table, &b_lkeys, &b_lflags, &l_table);
        Py_DECREF(table);
        if (bad < 0)
            goto done;
        n_lists = count;
    }

    const Py_ssize_t n = b_pid.len / 8;
    const Py_ssize_t n_gaps = b_where.len / 8;
    const int64_t *ids = (const int64_t *)b_pid.buf;
    const int64_t *shapes = (const int64_t *)b_psh.buf;
    const int64_t *cls = have_cls ? (const int64_t *)b_pcls.buf : NULL;
    const int64_t *where = (const int64_t *)b_where.buf;
    const float *lut = (const float *)b_lut.buf;
    float *out = (float *)b_out.buf;
    const int half = b_weights.itemsize == 2;
    if (b_psh.len != b_pid.len || (have_cls && b_pcls.len != b_pid.len) ||
        b_out.len / 4 != n_gaps || (b_weights.itemsize != 2 && b_weights.itemsize != 4) ||
        b_weights.len / b_weights.itemsize != ((Py_ssize_t)1 << hash_bits) ||
        b_lut.len != 4 * 65536) {
        PyErr_SetString(PyExc_ValueError, "score_gaps: arrays of inconsistent sizes");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_gaps; i++) {
        if (where[i] < 3 || where[i] + 3 >= n) {
            PyErr_SetString(PyExc_ValueError, "score_gaps: a gap too close to the array ends");
            goto done;
        }
        if (i > 0 && where[i] <= where[i - 1]) {
            PyErr_SetString(PyExc_ValueError, "score_gaps: gaps out of order");
            goto done;
        }
    }

    /* The program: one (sources, table or None, domains or None) per template. */
    seq = PySequence_Fast(program, "program must be a sequence");
    if (seq == NULL)
        goto done;
    Py_ssize_t n_tpl = PySequence_Fast_GET_SIZE(seq);
    if (n_tpl > MAX_TEMPLATES) {
        PyErr_SetString(PyExc_ValueError, "too many templates");
        goto done;
    }
    for (Py_ssize_t t = 0; t < n_tpl; t++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, t);
        PyObject *srcs, *table, *domain;
        if (!PyArg_ParseTuple(item, "OOO", &srcs, &table, &domain))
            goto done;
        template_t *T = &tpl[t];
        Py_ssize_t k = PySequence_Size(srcs);
        if (k < 1 || k > MAX_COMPONENTS) {
            PyErr_SetString(PyExc_ValueError, "a template needs 1 to 8 components");
            goto done;
        }
        T->n = (int)k;
        T->seed = (uint64_t)(t + 1) * M1;
        T->table = NULL;
        T->table_len = 0;
        for (Py_ssize_t j = 0; j < k; j++) {
            PyObject *v = PySequence_GetItem(srcs, j);
            long s = v ? PyLong_AsLong(v) : -1;
            Py_XDECREF(v);
            if (s < 0 || s >= N_SOURCES) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "unknown template source");
                goto done;
            }
            if (!have_cls && s >= SRC_CLASS && s < SRC_CLASS + 6) {
                PyErr_SetString(PyExc_ValueError, "a class template without classes");
                goto done;
            }
            if (s >= SRC_LIST + LIST_SOURCES * n_lists) {
                PyErr_SetString(PyExc_ValueError, "a word-list template without its list");
                goto done;
            }
            T->src[j] = (int)s;
            T->domain[j] = 0;
        }
        if (table != Py_None) {
            if (PySequence_Size(domain) != k) {
                PyErr_SetString(PyExc_ValueError, "a domain for each component expected");
                goto done;
            }
            for (Py_ssize_t j = 0; j < k; j++) {
                PyObject *v = PySequence_GetItem(domain, j);
                T->domain[j] = v ? PyLong_AsLongLong(v) : -1;
                Py_XDECREF(v);
                if (T->domain[j] < 1) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError, "bad domain");
                    goto done;
                }
            }
            if (get_buffer(table, &b_tables[n_tables], 4, 0, "table") < 0)
                goto done;
            T->table = (const float *)b_tables[n_tables].buf;
            T->table_len = b_tables[n_tables].len / 4;
            n_tables++;
        }
    }

    /* The words found are gathered a chunk of tokens at a time, into buffers that stay in
     * cache: span summaries for the tokens around the chunk's gaps need the words starting
     * up to max_word + 1 tokens before its first gap and up to 2 tokens after its last. */
    enum { CHUNK = 4096 };
    const Py_ssize_t width = CHUNK + 2 * max_word + 8;
    const Py_ssize_t n_arrays = 1 + n_lists;
    known = (uint32_t *)PyMem_Malloc((size_t)(n_arrays * width) * sizeof(uint32_t));
    spans = (span_t *)PyMem_Malloc((size_t)(n_arrays * width) * sizeof(span_t));
    if (known == NULL || spans == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    lknown = known + width;
    lspans = spans + width;
    int bad_index = 0;
    Py_BEGIN_ALLOW_THREADS
    /* Two passes a block of gaps: first every template's weight index (prefetching the
     * weight), then the sums, in template order.  The weights are fetched from a table too
     * big for the cache, so issuing all of a block's fetches before using any lets them
     * overlap. */
    uint64_t v[N_SOURCES];
    enum { BLOCK = 16 };
    int64_t slot[BLOCK][MAX_TEMPLATES];
    const uint16_t *w16 = (const uint16_t *)b_weights.buf;
    const float *w32 = (const float *)b_weights.buf;
    for (Py_ssize_t c0 = 0, c1; c0 < n_gaps; c0 = c1) {
        const Py_ssize_t first = where[c0];
        for (c1 = c0 + 1; c1 < n_gaps && where[c1] < first + CHUNK; c1++)
            ;
        const Py_ssize_t base = first - max_word - 1 > 0 ? first - max_word - 1 : 0;
        const Py_ssize_t top = where[c1 - 1] + 3 < n ? where[c1 - 1] + 3 : n;
        memset(known, 0, (size_t)(n_arrays * width) * sizeof(uint32_t));
        memset(spans, 0, (size_t)(n_arrays * width) * sizeof(span_t));
        mark_known(ids, n, base, top, &lexicon, 0, max_word, known, width);
        summarize_spans(known, top - base, max_word, spans);
        if (n_lists > 0) {
            mark_known(ids, n, base, top, &l_table, n_lists, max_word, lknown, width);
            for (int e = 0; e < n_lists; e++)
                summarize_spans(lknown + e * width, top - base, max_word, lspans + e * width);
        }
        for (Py_ssize_t i0 = c0; i0 < c1; i0 += BLOCK) {
            const Py_ssize_t i1 = i0 + BLOCK < c1 ? i0 + BLOCK : c1;
            for (Py_ssize_t i = i0; i < i1; i++) {
                const Py_ssize_t g = (Py_ssize_t)where[i];
                const Py_ssize_t at = g - base; /* g in the chunk's buffers */
                int64_t *idx_of = slot[i - i0];
                for (int o = -2; o <= 3; o++) {
                    v[SRC_ID + o + 2] = (uint64_t)ids[g + o];
                    v[SRC_SHAPE + o + 2] = (uint64_t)shapes[g + o];
                    v[SRC_CLASS + o + 2] = cls ? (uint64_t)cls[g + o] : 0;
                }
                const uint64_t *sh = &v[SRC_SHAPE + 2]; /* sh[o] for o in -2..3 */
                v[SRC_PACKED2] = sh[0] * SHAPE_COUNT + sh[1];
                v[SRC_PACKED4] =
                    ((sh[-1] * SHAPE_COUNT + sh[0]) * SHAPE_COUNT + sh[1]) * SHAPE_COUNT + sh[2];
                uint64_t p6 = 0;
                for (int o = -2; o <= 3; o++)
                    p6 = p6 * SHAPE_COUNT + sh[o];
                v[SRC_PACKED6] = p6;
                const span_t *sp = &spans[at];
                const uint64_t mask = sp->mask, longer = sp->longer;
                for (int k = 0; k < 10; k++)
                    v[SRC_LEXBIT + k] = (mask >> (9 - k)) & 1u;
                v[SRC_LONGER] = longer;
                v[SRC_MASK] = mask;
                v[SRC_END_LEN] = sp->end ? sp->end : 1;
                v[SRC_START_LEN] = sp[1].start ? sp[1].start : 1;
                const uint64_t bigram = (mask >> 9) & 1u;
                v[SRC_BIGRAM] = bigram;
                v[SRC_ANY_LONGER] = longer > 0;
                for (int e = 0; e < n_lists; e++) {
                    uint64_t *lv = &v[SRC_LIST + LIST_SOURCES * e];
                    const span_t *ls = &lspans[e * width + at];
                    const uint64_t l_mask = ls->mask, l_longer = ls->longer;
                    const uint64_t l_bigram = (l_mask >> 9) & 1u;
                    const uint64_t l_cover = (l_mask | l_longer) != 0;
                    lv[0] = l_mask;
                    lv[1] = l_longer;
                    lv[2] = ls->end ? ls->end : 1;
                    lv[3] = ls[1].start ? ls[1].start : 1;
                    lv[4] = ((uint64_t)((ls[-1].mask >> 9) & 1u) << 2) | (l_bigram << 1) |
                            ((ls[1].mask >> 9) & 1u);
                    lv[5] = (l_cover << 3) | ((uint64_t)((mask | longer) != 0) << 2) |
                            (l_bigram << 1) | bigram;
                    /* what the list says of the gap: covers it, a two-syllable entry over it */
                    lv[6] = (l_cover << 1) | l_bigram;
                }

                for (Py_ssize_t t = 0; t < n_tpl; t++) {
                    const template_t *T = &tpl[t];
                    if (T->table != NULL) {
                        int64_t idx = (int64_t)v[T->src[0]];
                        for (int j = 1; j < T->n; j++)
                            idx = idx * T->domain[j] + (int64_t)v[T->src[j]];
                        if (idx < 0 || idx >= T->table_len) {
                            bad_index = 1;
                            idx = 0;
                        }
                        PREFETCH(T->table + idx);
                        idx_of[t] = idx;
                    }
                    else {
                        uint64_t h = T->seed;
                        for (int j = 0; j < T->n; j++) {
                            h ^= v[T->src[j]];
                            h *= M2;
                        }
                        h ^= h >> 31;
                        const int64_t idx = (int64_t)((h * M3) >> (64 - hash_bits));
                        if (half)
                            PREFETCH(w16 + idx);
                        else
                            PREFETCH(w32 + idx);
                        idx_of[t] = idx;
                    }
                }
            }
            for (Py_ssize_t i = i0; i < i1; i++) {
                const int64_t *idx_of = slot[i - i0];
                float total = 0.0f;
                for (Py_ssize_t t = 0; t < n_tpl; t++) {
                    const template_t *T = &tpl[t];
                    if (T->table != NULL)
                        total += T->table[idx_of[t]];
                    else
                        total += half ? lut[w16[idx_of[t]]] : w32[idx_of[t]];
                }
                out[i] = total;
            }
        }
    }
    Py_END_ALLOW_THREADS
    if (bad_index) {
        PyErr_SetString(PyExc_IndexError, "score_gaps: a feature value lies outside its table");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(known);
    PyMem_Free(spans);
    Py_XDECREF(seq);
    for (int t = 0; t < n_tables; t++)
        PyBuffer_Release(&b_tables[t]);
    Py_buffer *all[] = {&b_pid,     &b_psh, &b_pcls, &b_where, &b_keys, &b_flags,
                        &b_weights, &b_lut, &b_out,  &b_lkeys, &b_lflags};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->obj != NULL)
            PyBuffer_Release(all[i]);
    return result;
}


/* ------------------------------------------------------------------------------------------
 * scan_chunks(text, findall, pretokenized, space_chars, line_break_chars, trailing, leading,
 *             is_plain_before_dot, context, with_tokens)
 *   -> (tokens, starts, ends, line_breaks)
 * The loop of tieng.tokenization.scan, step for step.  ``starts`` and ``ends`` come as the
 * bytes of arrays of native int64; ``tokens`` is empty unless ``with_tokens`` (the offsets
 * are all the compiled code lookups and writer need).
 */
static inline int
in_chars(PyObject *chars, Py_UCS4 ch)
{
    return PyUnicode_FindChar(chars, ch, 0, PyUnicode_GET_LENGTH(chars), 1) >= 0;
}

static inline int
is_alpha(Py_UCS4 ch)
{
    if (ch < 128)
        return ((ch | 32) - 'a') < 26;
    return Py_UNICODE_ISALPHA(ch);
}

/* str.isalpha() of text[a:b] */
static int
all_alpha(int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    if (a >= b)
        return 0;
    for (Py_ssize_t i = a; i < b; i++)
        if (!is_alpha(PyUnicode_READ(kind, data, i)))
            return 0;
    return 1;
}

/* End of the chunk that starts at a (the next " " or the end of the text); *alpha tells
 * whether the chunk is not empty and all letters (str.isalpha). */
static Py_ssize_t
chunk_end(int kind, const void *data, Py_ssize_t a, Py_ssize_t n, int *alpha)
{
#define CHUNK_END(T)                                                                          \
    {                                                                                         \
        const T *d = (const T *)data;                                                         \
        Py_ssize_t b = a;                                                                     \
        int all = 1;                                                                          \
        while (b < n && d[b] != ' ') {                                                        \
            all &= is_alpha(d[b]);                                                            \
            b++;                                                                              \
        }                                                                                     \
        *alpha = all && b > a;                                                                \
        return b;                                                                             \
    }
    switch (kind) {
    case PyUnicode_1BYTE_KIND:
        CHUNK_END(Py_UCS1)
    case PyUnicode_2BYTE_KIND:
        CHUNK_END(Py_UCS2)
    default:
        CHUNK_END(Py_UCS4)
    }
#undef CHUNK_END
}

typedef struct {
    int64_t *data;
    Py_ssize_t len, cap;
} int64_vec;

static int
vec_push(int64_vec *v, int64_t x)
{
    if (v->len == v->cap) {
        Py_ssize_t cap = v->cap ? 2 * v->cap : 1024;
        int64_t *data = PyMem_Realloc(v->data, cap * sizeof(int64_t));
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        v->data = data;
        v->cap = cap;
    }
    v->data[v->len++] = x;
    return 0;
}

/* Where scan_chunks puts the tokens: their offsets, and the token strings when asked. */
typedef struct {
    PyObject *tokens; /* a list, or NULL: offsets only */
    int64_vec starts, ends;
} token_sink;

static int
push(token_sink *sink, PyObject *text, Py_ssize_t a, Py_ssize_t b)
{
    if (sink->tokens != NULL) {
        PyObject *tok = PyUnicode_Substring(text, a, b);
        if (tok == NULL)
            return -1;
        int rc = PyList_Append(sink->tokens, tok);
        Py_DECREF(tok);
        if (rc < 0)
            return -1;
    }
    return vec_push(&sink->starts, a) < 0 ? -1 : vec_push(&sink->ends, b);
}

static PyObject *
vec_to_bytes(int64_vec *v)
{
    return PyBytes_FromStringAndSize((const char *)v->data, v->len * (Py_ssize_t)sizeof(int64_t));
}

static int
push_int(PyObject *list, Py_ssize_t value)
{
    PyObject *v = PyLong_FromSsize_t(value);
    if (v == NULL)
        return -1;
    int rc = PyList_Append(list, v);
    Py_DECREF(v);
    return rc;
}

static PyObject *
scan_chunks(PyObject *self, PyObject *args)
{
    PyObject *text, *findall, *spaces, *breaks, *trailing, *leading, *plain_before_dot;
    int pretokenized, with_tokens;
    Py_ssize_t context;
    if (!PyArg_ParseTuple(args, "UOpUUUUOnp", &text, &findall, &pretokenized, &spaces, &breaks,
                          &trailing, &leading, &plain_before_dot, &context, &with_tokens))
        return NULL;
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *tokens = PyList_New(0), *line_breaks = PyList_New(0);
    token_sink sink_ = {with_tokens ? tokens : NULL, {NULL, 0, 0}, {NULL, 0, 0}};
    token_sink *sink = &sink_;
    if (tokens == NULL || line_breaks == NULL)
        goto fail;
    Py_ssize_t a = 0;
    while (a <= n) {
        int alpha;
        const Py_ssize_t b = chunk_end(kind, data, a, n, &alpha);
        /* the chunk is text[a:b] */
        const Py_ssize_t len = b - a;
        if (len == 0)
            goto next;
        if (alpha) {
            if (push(sink, text, a, b) < 0)
                goto fail;
            goto next;
        }
        if (len == 1) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, a);
            if (!in_chars(spaces, ch)) {
                if (push(sink, text, a, b) < 0)
                    goto fail;
            }
            else if (in_chars(breaks, ch)) {
                if (push_int(line_breaks, a) < 0)
                    goto fail;
            }
            goto next;
        }
        if (!pretokenized) {
            /* "nói," and "(Điều": a word with one punctuation mark after or before it */
            Py_UCS4 last = PyUnicode_READ(kind, data, b - 1);
            if (in_chars(trailing, last) && all_alpha(kind, data, a, b - 1)) {
                int plain = 1;
                if (last == '.') {
                    PyObject *body = PyUnicode_Substring(text, a, b - 1);
                    if (body == NULL)
                        goto fail;
                    PyObject *r = PyObject_CallOneArg(plain_before_dot, body);
                    Py_DECREF(body);
                    if (r == NULL)
                        goto fail;
                    plain = PyObject_IsTrue(r);
                    Py_DECREF(r);
                    if (plain < 0)
                        goto fail;
                }
                if (plain) {
                    if (push(sink, text, a, b - 1) < 0 ||
                        push(sink, text, b - 1, b) < 0)
                        goto fail;
                    goto next;
                }
            }
            Py_UCS4 first = PyUnicode_READ(kind, data, a);
            if (in_chars(leading, first) && all_alpha(kind, data, a + 1, b)) {
                if (push(sink, text, a, a + 1) < 0 ||
                    push(sink, text, a + 1, b) < 0)
                    goto fail;
                goto next;
            }
        }
        {
            Py_ssize_t stop = b + context < n ? b + context : n;
            PyObject *pieces = PyObject_CallFunction(findall, "Onn", text, a, stop);
            if (pieces == NULL)
                goto fail;
            PyObject *seq = PySequence_Fast(pieces, "findall must give a list");
            Py_DECREF(pieces);
            if (seq == NULL)
                goto fail;
            Py_ssize_t p = a;
            Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
            for (Py_ssize_t k = 0; k < m && p < b; k++) {
                PyObject *piece = PySequence_Fast_GET_ITEM(seq, k);
                if (!PyUnicode_Check(piece) || PyUnicode_GET_LENGTH(piece) == 0) {
                    Py_DECREF(seq);
                    PyErr_SetString(PyExc_ValueError, "findall gave an empty piece");
                    goto fail;
                }
                Py_ssize_t plen = PyUnicode_GET_LENGTH(piece);
                if (in_chars(spaces, PyUnicode_READ_CHAR(piece, 0))) {
                    int has_break = 0;
                    for (Py_ssize_t j = 0; j < plen && !has_break; j++)
                        has_break = in_chars(breaks, PyUnicode_READ_CHAR(piece, j));
                    if (has_break && push_int(line_breaks, p) < 0) {
                        Py_DECREF(seq);
                        goto fail;
                    }
                }
                else {
                    if ((sink->tokens != NULL && PyList_Append(tokens, piece) < 0) ||
                        vec_push(&sink->starts, p) < 0 || vec_push(&sink->ends, p + plen) < 0) {
                        Py_DECREF(seq);
                        goto fail;
                    }
                }
                p += plen;
            }
            Py_DECREF(seq);
        }
    next:
        a = b + 1;
    }
    {
        PyObject *starts = vec_to_bytes(&sink->starts), *ends = vec_to_bytes(&sink->ends);
        PyMem_Free(sink->starts.data);
        PyMem_Free(sink->ends.data);
        if (starts == NULL || ends == NULL) {
            Py_XDECREF(starts);
            Py_XDECREF(ends);
            Py_DECREF(tokens);
            Py_DECREF(line_breaks);
            return NULL;
        }
        return Py_BuildValue("(NNNN)", tokens, starts, ends, line_breaks);
    }
fail:
    PyMem_Free(sink->starts.data);
    PyMem_Free(sink->ends.data);
    Py_XDECREF(tokens);
    Py_XDECREF(line_breaks);
    return NULL;
}

/* ------------------------------------------------------------------------------------------
 * lookup_codes(cache, tokens, out): out[i] = cache[tokens[i]], for a dict (subclass) whose
 * __missing__ computes what it lacks, as tieng.vocabulary.Vocabulary.codes.
 */
static PyObject *
lookup_codes(PyObject *self, PyObject *args)
{
    PyObject *cache, *tokens, *o_out;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyDict_Type, &cache, &PyList_Type, &tokens, &o_out))
        return NULL;
    Py_buffer b_out;
    if (get_buffer(o_out, &b_out, 8, 1, "out") < 0)
        return NULL;
    int64_t *out = (int64_t *)b_out.buf;
    Py_ssize_t n = PyList_GET_SIZE(tokens);
    if (b_out.len / 8 != n) {
        PyBuffer_Release(&b_out);
        PyErr_SetString(PyExc_ValueError, "lookup_codes: out must have one item per token");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n && i < PyList_GET_SIZE(tokens); i++) {
        PyObject *tok = PyList_GET_ITEM(tokens, i);
        PyObject *v = PyDict_GetItemWithError(cache, tok); /* borrowed */
        long long x;
        if (v != NULL) {
            x = PyLong_AsLongLong(v);
        }
        else {
            if (PyErr_Occurred())
                goto fail;
            v = PyObject_GetItem(cache, tok); /* runs __missing__ */
            if (v == NULL)
                goto fail;
            x = PyLong_AsLongLong(v);
            Py_DECREF(v);
        }
        if (x == -1 && PyErr_Occurred())
            goto fail;
        out[i] = x;
    }
    PyBuffer_Release(&b_out);
    Py_RETURN_NONE;
fail:
    PyBuffer_Release(&b_out);
    return NULL;
}


/* ------------------------------------------------------------------------------------------
 * table_weights(template, domain, hash_bits, weights, half_to_float, out): the weight of every
 * value of a template with a small domain (as ScoreTables builds its tables), values in C
 * order (the last component varies fastest).
 */
static PyObject *
table_weights(PyObject *self, PyObject *args)
{
    int template_index, hash_bits;
    PyObject *domain, *o_weights, *o_lut, *o_out;
    if (!PyArg_ParseTuple(args, "iOiOOO", &template_index, &domain, &hash_bits, &o_weights,
                          &o_lut, &o_out))
        return NULL;
    int64_t dom[MAX_COMPONENTS];
    Py_ssize_t k = PySequence_Size(domain);
    if (k < 1 || k > MAX_COMPONENTS || hash_bits < 10 || hash_bits > 30) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "table_weights: bad domain or hash bits");
        return NULL;
    }
    Py_ssize_t total = 1;
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *v = PySequence_GetItem(domain, j);
        dom[j] = v ? PyLong_AsLongLong(v) : -1;
        Py_XDECREF(v);
        if (dom[j] < 1) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "table_weights: bad domain");
            return NULL;
        }
        total *= dom[j];
    }
    Py_buffer b_weights, b_lut, b_out;
    if (PyObject_GetBuffer(o_weights, &b_weights, PyBUF_C_CONTIGUOUS) < 0)
        return NULL;
    if (get_buffer(o_lut, &b_lut, 4, 0, "half_to_float") < 0) {
        PyBuffer_Release(&b_weights);
        return NULL;
    }
    if (get_buffer(o_out, &b_out, 4, 1, "out") < 0) {
        PyBuffer_Release(&b_weights);
        PyBuffer_Release(&b_lut);
        return NULL;
    }
    PyObject *result = NULL;
    if (b_out.len / 4 != total || (b_weights.itemsize != 2 && b_weights.itemsize != 4) ||
        b_weights.len / b_weights.itemsize != ((Py_ssize_t)1 << hash_bits) ||
        b_lut.len != 4 * 65536) {
        PyErr_SetString(PyExc_ValueError, "table_weights: arrays of inconsistent sizes");
        goto done;
    }
    const uint64_t seed = (uint64_t)(template_index + 1) * M1;
    const int half = b_weights.itemsize == 2;
    const uint16_t *w16 = (const uint16_t *)b_weights.buf;
    const float *w32 = (const float *)b_weights.buf;
    const float *lut = (const float *)b_lut.buf;
    float *out = (float *)b_out.buf;
    uint64_t value[MAX_COMPONENTS] = {0};
    for (Py_ssize_t f = 0; f < total; f++) {
        uint64_t h = seed;
        for (Py_ssize_t j = 0; j < k; j++) {
            h ^= value[j];
            h *= M2;
        }
        h ^= h >> 31;
        const uint64_t idx = (h * M3) >> (64 - hash_bits);
        out[f] = half ? lut[w16[idx]] : w32[idx];
        for (Py_ssize_t j = k - 1; j >= 0; j--) { /* next value, C order */
            if (++value[j] < (uint64_t)dom[j])
                break;
            value[j] = 0;
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&b_weights);
    PyBuffer_Release(&b_lut);
    PyBuffer_Release(&b_out);
    return result;
}

/* count_words(text): len(text.split()) without building the list. */
static PyObject *
count_words(PyObject *self, PyObject *arg)
{
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "count_words: expected str");
        return NULL;
    }
    const int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    Py_ssize_t count = 0;
    int in_word = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int space = Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i));
        count += !space && !in_word;
        in_word = !space;
    }
    return PyLong_FromSsize_t(count);
}


/* ------------------------------------------------------------------------------------------
 * CodeTable: token -> code, keyed by the characters of a slice of a text, so that looking a
 * token up needs no str object.  codes_of_spans fills it from a Python function on a miss
 * (Vocabulary's own computation), so it gives what Vocabulary.codes gives.  Cleared when full,
 * like the Python cache.
 */
typedef struct {
    uint64_t hash; /* 0: empty slot */
    Py_ssize_t off, len;
    int64_t code;
} code_entry;

typedef struct {
    PyObject_HEAD
    code_entry *slots;
    Py_ssize_t cap, count, limit;
    Py_UCS4 *arena;
    Py_ssize_t arena_len, arena_cap;
} CodeTable;

#define TABLE_LIMIT (1 << 20) /* entries by default, as vocabulary._CACHE_LIMIT */
#define ARENA_LIMIT (1 << 23) /* characters of keys (32 MB) */

static void
table_clear(CodeTable *t)
{
    PyMem_Free(t->slots);
    PyMem_Free(t->arena);
    t->slots = NULL;
    t->arena = NULL;
    t->cap = t->count = t->arena_len = t->arena_cap = 0;
}

static void
CodeTable_dealloc(CodeTable *t)
{
    table_clear(t);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static PyObject *
CodeTable_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {"limit", NULL};
    Py_ssize_t limit = TABLE_LIMIT;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|n:CodeTable", names, &limit))
        return NULL;
    if (limit < 1) {
        PyErr_SetString(PyExc_ValueError, "CodeTable: limit must be positive");
        return NULL;
    }
    CodeTable *t = (CodeTable *)type->tp_alloc(type, 0); /* fields zeroed */
    if (t != NULL)
        t->limit = limit;
    return (PyObject *)t;
}

static PyObject *
CodeTable_reduce(PyObject *self, PyObject *unused)
{
    /* a cache: pickles empty */
    return Py_BuildValue("(O(n))", (PyObject *)Py_TYPE(self), ((CodeTable *)self)->limit);
}

static Py_ssize_t
CodeTable_len(PyObject *self)
{
    return ((CodeTable *)self)->count;
}

static inline uint64_t
slice_hash(int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (Py_ssize_t i = a; i < b; i++) {
        h ^= PyUnicode_READ(kind, data, i);
        h *= 0x100000001b3ULL;
    }
    h ^= (uint64_t)(b - a);
    h *= M2;
    h ^= h >> 29;
    return h | 1;
}

static inline code_entry *
table_find(CodeTable *t, uint64_t h, int kind, const void *data, Py_ssize_t a, Py_ssize_t b)
{
    if (t->cap == 0)
        return NULL;
    const Py_ssize_t len = b - a;
    for (Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)(t->cap - 1));; i = (i + 1) & (t->cap - 1)) {
        code_entry *e = &t->slots[i];
        if (e->hash == 0)
            return e;
        if (e->hash == h && e->len == len) {
            const Py_UCS4 *key = t->arena + e->off;
            Py_ssize_t j = 0;
            while (j < len && key[j] == PyUnicode_READ(kind, data, a + j))
                j++;
            if (j == len)
                return e;
        }
    }
}

static int
table_grow(CodeTable *t)
{
    Py_ssize_t cap = t->cap ? 2 * t->cap : 1 << 14;
    code_entry *slots = PyMem_Calloc(cap, sizeof(code_entry));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < t->cap; i++) {
        code_entry *e = &t->slots[i];
        if (e->hash == 0)
            continue;
        Py_ssize_t j = (Py_ssize_t)(e->hash & (uint64_t)(cap - 1));
        while (slots[j].hash != 0)
            j = (j + 1) & (cap - 1);
        slots[j] = *e;
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

static int
table_insert(CodeTable *t, uint64_t h, int kind, const void *data, Py_ssize_t a, Py_ssize_t b,
             int64_t code)
{
    const Py_ssize_t len = b - a;
    if (t->count >= t->limit || t->arena_len + len > ARENA_LIMIT)
        table_clear(t); /* bound memory on endless distinct tokens */
    if (len > ARENA_LIMIT)
        return 0; /* too long to keep */
    if (2 * (t->count + 1) > t->cap && table_grow(t) < 0)
        return -1;
    if (t->arena_len + len > t->arena_cap) {
        Py_ssize_t cap = t->arena_cap ? 2 * t->arena_cap : 1 << 16;
        while (cap < t->arena_len + len)
            cap *= 2;
        Py_UCS4 *arena = PyMem_Realloc(t->arena, cap * sizeof(Py_UCS4));
        if (arena == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        t->arena = arena;
        t->arena_cap = cap;
    }
    code_entry *e = table_find(t, h, kind, data, a, b);
    e->hash = h;
    e->off = t->arena_len;
    e->len = len;
    e->code = code;
    for (Py_ssize_t j = 0; j < len; j++)
        t->arena[t->arena_len + j] = PyUnicode_READ(kind, data, a + j);
    t->arena_len += len;
    t->count++;
    return 0;
}

static PyMethodDef CodeTable_methods[] = {
    {"__reduce__", CodeTable_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PySequenceMethods CodeTable_as_sequence = {
    .sq_length = CodeTable_len,
};

static PyTypeObject CodeTableType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tieng._speedups.CodeTable",
    .tp_basicsize = sizeof(CodeTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Token -> code cache keyed by slices of a text (see codes_of_spans).",
    .tp_new = CodeTable_new,
    .tp_dealloc = (destructor)CodeTable_dealloc,
    .tp_methods = CodeTable_methods,
    .tp_as_sequence = &CodeTable_as_sequence,
};

/* codes_of_spans(table, text, starts, ends, compute, out): out[i] is the code of the token
 * text[starts[i]:ends[i]], from the table, or compute(token) (then kept in the table). */
static PyObject *
codes_of_spans(PyObject *self, PyObject *args)
{
    PyObject *text, *o_starts, *o_ends, *compute, *o_out;
    CodeTable *t;
    if (!PyArg_ParseTuple(args, "O!UOOOO", &CodeTableType, &t, &text, &o_starts, &o_ends,
                          &compute, &o_out))
        return NULL;
    Py_buffer b_starts = {0}, b_ends = {0}, b_out = {0};
    PyObject *result = NULL;
    if (get_buffer(o_starts, &b_starts, 8, 0, "starts") < 0 ||
        get_buffer(o_ends, &b_ends, 8, 0, "ends") < 0 || get_buffer(o_out, &b_out, 8, 1, "out") < 0)
        goto done;
    const Py_ssize_t n = b_starts.len / 8, size = PyUnicode_GET_LENGTH(text);
    const int64_t *starts = b_starts.buf, *ends = b_ends.buf;
    int64_t *out = b_out.buf;
    if (b_ends.len != b_starts.len || b_out.len != b_starts.len) {
        PyErr_SetString(PyExc_ValueError, "codes_of_spans: arrays of different lengths");
        goto done;
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_ssize_t a = starts[i], b = ends[i];
        if (a < 0 || b <= a || b > size) {
            PyErr_SetString(PyExc_ValueError, "codes_of_spans: a span outside the text");
            goto done;
        }
        const uint64_t h = slice_hash(kind, data, a, b);
        code_entry *e = table_find(t, h, kind, data, a, b);
        if (e != NULL && e->hash != 0) {
            out[i] = e->code;
            continue;
        }
        PyObject *tok = PyUnicode_Substring(text, a, b);
        if (tok == NULL)
            goto done;
        PyObject *r = PyObject_CallOneArg(compute, tok);
        Py_DECREF(tok);
        if (r == NULL)
            goto done;
        long long code = PyLong_AsLongLong(r);
        Py_DECREF(r);
        if (code == -1 && PyErr_Occurred())
            goto done;
        if (table_insert(t, h, kind, data, a, b, code) < 0)
            goto done;
        out[i] = code;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (b_starts.obj)
        PyBuffer_Release(&b_starts);
    if (b_ends.obj)
        PyBuffer_Release(&b_ends);
    if (b_out.obj)
        PyBuffer_Release(&b_out);
    return result;
}

/* ------------------------------------------------------------------------------------------
 * write_segmented(text, starts, ends, kinds, bounds) -> list of str, one a document: the
 * tokens text[starts[i]:ends[i]] of document k (tokens bounds[k] .. bounds[k+1]-1), "\" and
 * "_" in them escaped with a "\", each followed by the separator its kind names: 0 " ",
 * 1 "_", 2 "\n", 3 nothing (the document's last token).  As tieng.results.texts_of.
 * With names (a list of str) and tags (uint8, one per word: a token whose kind is not 1 ends
 * a word), each word is followed by "/" and names[tags[word]].
 */
static PyObject *
write_segmented(PyObject *self, PyObject *args)
{
    PyObject *text, *o_starts, *o_ends, *o_kinds, *o_bounds, *names = NULL, *o_tags = NULL;
    if (!PyArg_ParseTuple(args, "UOOOO|O!O", &text, &o_starts, &o_ends, &o_kinds, &o_bounds,
                          &PyList_Type, &names, &o_tags))
        return NULL;
    Py_buffer b_starts = {0}, b_ends = {0}, b_kinds = {0}, b_bounds = {0}, b_tags = {0};
    const uint8_t *tags = NULL;
    Py_ssize_t n_tags = 0, n_names = 0;
    PyObject *result = NULL, *list = NULL;
    Py_UCS4 *buf = NULL;
    Py_ssize_t buf_cap = 0;
    if (get_buffer(o_starts, &b_starts, 8, 0, "starts") < 0 ||
        get_buffer(o_ends, &b_ends, 8, 0, "ends") < 0 ||
        get_buffer(o_kinds, &b_kinds, 1, 0, "kinds") < 0 ||
        get_buffer(o_bounds, &b_bounds, 8, 0, "bounds") < 0)
        goto done;
    if (names != NULL) {
        if (o_tags == NULL || get_buffer(o_tags, &b_tags, 1, 0, "tags") < 0)
            goto done;
        tags = b_tags.buf;
        n_tags = b_tags.len;
        n_names = PyList_GET_SIZE(names);
        for (Py_ssize_t j = 0; j < n_names; j++)
            if (!PyUnicode_Check(PyList_GET_ITEM(names, j))) {
                PyErr_SetString(PyExc_TypeError, "write_segmented: names are str");
                goto done;
            }
    }
    const Py_ssize_t n = b_starts.len / 8, n_docs = b_bounds.len / 8 - 1;
    const Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    const int64_t *starts = b_starts.buf, *ends = b_ends.buf, *bounds = b_bounds.buf;
    const int8_t *kinds = b_kinds.buf;
    if (b_ends.len != b_starts.len || b_kinds.len != n || n_docs < 0) {
        PyErr_SetString(PyExc_ValueError, "write_segmented: arrays of inconsistent sizes");
        goto done;
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    static const Py_UCS4 separator[4] = {' ', '_', '\n', 0};
    list = PyList_New(n_docs);
    if (list == NULL)
        goto done;
    Py_ssize_t word = 0; /* the next word's index into tags */
    for (Py_ssize_t k = 0; k < n_docs; k++) {
        const Py_ssize_t first = bounds[k], last = bounds[k + 1];
        const Py_ssize_t first_word = word;
        if (first < 0 || last < first || last > n) {
            PyErr_SetString(PyExc_ValueError, "write_segmented: bad document bounds");
            goto done;
        }
        Py_ssize_t len = 0;
        for (Py_ssize_t i = first; i < last; i++) {
            if (starts[i] < 0 || ends[i] < starts[i] || ends[i] > size || kinds[i] < 0 ||
                kinds[i] > 3) {
                PyErr_SetString(PyExc_ValueError, "write_segmented: a bad token");
                goto done;
            }
            for (Py_ssize_t j = starts[i]; j < ends[i]; j++) {
                Py_UCS4 ch = PyUnicode_READ(kind, data, j);
                len += 1 + (ch == '_' || ch == '\\');
            }
            len += kinds[i] != 3;
            if (tags != NULL && kinds[i] != 1) {
                if (word >= n_tags || tags[word] >= n_names) {
                    PyErr_SetString(PyExc_ValueError, "write_segmented: a word without a tag");
                    goto done;
                }
                len += 1 + PyUnicode_GET_LENGTH(PyList_GET_ITEM(names, tags[word]));
                word++;
            }
        }
        word = first_word;
        if (len > buf_cap) {
            PyMem_Free(buf);
            buf_cap = len > 2 * buf_cap ? len : 2 * buf_cap;
            buf = PyMem_Malloc(buf_cap * sizeof(Py_UCS4) + 1);
            if (buf == NULL) {
                PyErr_NoMemory();
                goto done;
            }
        }
        Py_ssize_t w = 0;
        for (Py_ssize_t i = first; i < last; i++) {
            for (Py_ssize_t j = starts[i]; j < ends[i]; j++) {
                Py_UCS4 ch = PyUnicode_READ(kind, data, j);
                if (ch == '_' || ch == '\\')
                    buf[w++] = '\\';
                buf[w++] = ch;
            }
            if (tags != NULL && kinds[i] != 1) {
                PyObject *name = PyList_GET_ITEM(names, tags[word]);
                buf[w++] = '/';
                for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(name); j++)
                    buf[w++] = PyUnicode_READ_CHAR(name, j);
                word++;
            }
            if (kinds[i] != 3)
                buf[w++] = separator[kinds[i]];
        }
        PyObject *doc = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, w);
        if (doc == NULL)
            goto done;
        PyList_SET_ITEM(list, k, doc);
    }
    if (tags != NULL && word != n_tags) {
        PyErr_SetString(PyExc_ValueError, "write_segmented: more tags than words");
        goto done;
    }
    result = list;
    list = NULL;
done:
    PyMem_Free(buf);
    Py_XDECREF(list);
    if (b_starts.obj)
        PyBuffer_Release(&b_starts);
    if (b_ends.obj)
        PyBuffer_Release(&b_ends);
    if (b_kinds.obj)
        PyBuffer_Release(&b_kinds);
    if (b_bounds.obj)
        PyBuffer_Release(&b_bounds);
    if (b_tags.obj)
        PyBuffer_Release(&b_tags);
    return result;
}

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

/* The sums and the Viterbi search of viterbi() below, on plain arrays.  Tags are padded to
 * TAG_WIDTH columns (the padding tags score so low that they are never chosen), so that
 * every loop over tags has a constant length and compiles to vector instructions. */
#define TAG_WIDTH 32
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
/* Compiled three times (AVX-512, AVX2, any x86-64); the loader picks one for the machine. */
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void
tag_sentences(const uint32_t *rows, Py_ssize_t n, Py_ssize_t F, const int8_t *w,
              const int32_t *tr, const int64_t *bounds, Py_ssize_t m, uint8_t *back, uint8_t *out)
{
    enum { K = TAG_WIDTH };
    int32_t delta[K], next[K], acc[K], arg[K];
    for (Py_ssize_t s = 0; s < m; s++) {
        const Py_ssize_t a = bounds[s], b = bounds[s + 1];
        for (Py_ssize_t i = a; i < b; i++) {
            const uint32_t *r = rows + i * F;
            if (i + 16 < n) { /* the rows 16 words ahead: the gathers are cache misses */
                const uint32_t *ahead = rows + (i + 16) * F;
                for (Py_ssize_t f = 0; f < F; f++)
                    PREFETCH(w + (Py_ssize_t)ahead[f] * K);
            }
            for (int k = 0; k < K; k++)
                acc[k] = 0;
            for (Py_ssize_t f = 0; f < F; f++) {
                const int8_t *row = w + (Py_ssize_t)r[f] * K;
                int8_t tmp[K];
                memcpy(tmp, row, K);
                for (int k = 0; k < K; k++)
                    acc[k] += tmp[k];
            }
            if (i == a) {
                for (int k = 0; k < K; k++)
                    next[k] = tr[K * K + k] + acc[k];
            }
            else {
                /* The best previous tag for every tag: the lowest index of the best score. */
                for (int t = 0; t < K; t++) {
                    next[t] = delta[0] + tr[t];
                    arg[t] = 0;
                }
                for (int p = 1; p < K; p++) {
                    const int32_t dp = delta[p];
                    const int32_t *col = tr + p * K;
                    for (int t = 0; t < K; t++) {
                        const int32_t v = dp + col[t];
                        const int32_t better = -(v > next[t]);
                        next[t] = (v & better) | (next[t] & ~better);
                        arg[t] = (p & better) | (arg[t] & ~better);
                    }
                }
                uint8_t *bk = back + i * K;
                for (int t = 0; t < K; t++) {
                    next[t] += acc[t];
                    bk[t] = (uint8_t)arg[t];
                }
            }
            /* Less the best: decisions stay the same, and the numbers stay small. */
            int32_t top = next[0];
            for (int k = 1; k < K; k++)
                top = next[k] > top ? next[k] : top;
            for (int k = 0; k < K; k++)
                delta[k] = next[k] - top;
        }
        if (b > a) {
            int t = 0;
            for (int k = 1; k < K; k++)
                if (delta[k] > delta[t])
                    t = k;
            for (Py_ssize_t i = b - 1; i >= a; i--) {
                out[i] = (uint8_t)t;
                if (i > a)
                    t = back[i * K + t];
            }
        }
    }
}

/* Part-of-speech tags: the twin of tieng.tagging.TaggerModel.feature_rows and
 * tieng.tagging.decode for int8 weights.  Every feature of every word is hashed to a weight
 * row as feature_rows does it; each word gets the sum of its rows for each tag; then,
 * sentence by sentence, the best tag sequence under those scores plus the tag bigram scores
 * (Viterbi, integer arithmetic, ties to the lower tag as numpy's argmax).
 * viterbi(values, pos, program, bits, weights, transitions, bounds, out): values uint64
 * (rows, A), the padded attributes; pos int64 (n), each word's row; program int32, for each
 * template its length then (column, offset) pairs; weights int8 (2**bits, K); transitions
 * int32 (K + 1, K) (row K: at a sentence start), K = TAG_WIDTH, the tags padded (see
 * tieng.tagging.TaggerModel.padded); bounds int64 (sentences + 1); out uint8. */
#define TAG_M1 0x9E3779B97F4A7C15ULL
#define TAG_M2 0xC2B2AE3D27D4EB4FULL
#define MAX_TAG_TEMPLATES 256
static PyObject *
viterbi(PyObject *self, PyObject *args)
{
    PyObject *o_values, *o_pos, *o_prog, *o_w, *o_t, *o_bounds, *o_out;
    int bits;
    if (!PyArg_ParseTuple(args, "OOOiOOOO", &o_values, &o_pos, &o_prog, &bits, &o_w, &o_t,
                          &o_bounds, &o_out))
        return NULL;
    Py_buffer b_values = {0}, b_pos = {0}, b_prog = {0}, b_w = {0}, b_t = {0}, b_bounds = {0},
              b_out = {0};
    PyObject *result = NULL;
    uint8_t *back = NULL;
    uint32_t *rows = NULL;
    if (get_buffer(o_values, &b_values, 8, 0, "values") < 0 ||
        get_buffer(o_pos, &b_pos, 8, 0, "pos") < 0 ||
        get_buffer(o_prog, &b_prog, 4, 0, "program") < 0 ||
        get_buffer(o_w, &b_w, 1, 0, "weights") < 0 ||
        get_buffer(o_t, &b_t, 4, 0, "transitions") < 0 ||
        get_buffer(o_bounds, &b_bounds, 8, 0, "bounds") < 0 ||
        get_buffer(o_out, &b_out, 1, 1, "out") < 0)
        goto done;
    if (b_w.ndim != 2 || b_t.ndim != 2 || b_values.ndim != 2) {
        PyErr_SetString(PyExc_ValueError, "viterbi: values, weights and transitions are 2-d");
        goto done;
    }
    const Py_ssize_t R = b_w.shape[0], K = b_w.shape[1];
    const Py_ssize_t V = b_values.shape[0], A = b_values.shape[1];
    const Py_ssize_t n = b_pos.len / 8, m = b_bounds.len / 8 - 1, P = b_prog.len / 4;
    if (K != TAG_WIDTH || b_t.shape[0] != K + 1 || b_t.shape[1] != K || b_out.len != n ||
        m < 0 || bits < 1 || bits > 31 || R != ((Py_ssize_t)1 << bits)) {
        PyErr_SetString(PyExc_ValueError, "viterbi: arrays of mismatched shapes");
        goto done;
    }
    const uint64_t *values = b_values.buf;
    const int64_t *pos = b_pos.buf;
    const int32_t *prog = b_prog.buf;
    const int8_t *w = b_w.buf;
    const int32_t *tr = b_t.buf;
    const int64_t *bounds = b_bounds.buf;
    uint8_t *out = b_out.buf;
    /* Check the program and count the templates; every offset must stay inside values. */
    Py_ssize_t F = 0;
    int32_t lo = 0, hi = 0;
    for (Py_ssize_t j = 0; j < P; F++) {
        const int32_t len = prog[j++];
        if (len < 0 || j + 2 * len > P || F >= MAX_TAG_TEMPLATES) {
            PyErr_SetString(PyExc_ValueError, "viterbi: a malformed template program");
            goto done;
        }
        for (int32_t q = 0; q < len; q++, j += 2) {
            if (prog[j] < 0 || prog[j] >= A) {
                PyErr_SetString(PyExc_ValueError, "viterbi: a template reads no attribute");
                goto done;
            }
            lo = prog[j + 1] < lo ? prog[j + 1] : lo;
            hi = prog[j + 1] > hi ? prog[j + 1] : hi;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (pos[i] + lo < 0 || pos[i] + hi >= V) {
            PyErr_SetString(PyExc_ValueError, "viterbi: a word's window outside the values");
            goto done;
        }
    for (Py_ssize_t s = 0; s < m; s++)
        if (bounds[s] < 0 || bounds[s + 1] < bounds[s] || bounds[s + 1] > n) {
            PyErr_SetString(PyExc_ValueError, "viterbi: sentence bounds outside the words");
            goto done;
        }
    rows = PyMem_Malloc(n * F > 0 ? n * F * sizeof(uint32_t) : 1);
    back = PyMem_Malloc(n > 0 ? n * K : 1);
    if (!rows || !back) {
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    const int shift = 64 - bits;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t *r = rows + i * F;
        Py_ssize_t j = 0;
        for (Py_ssize_t f = 0; f < F; f++) {
            uint64_t h = (uint64_t)(f + 1) * TAG_M1;
            const int32_t len = prog[j++];
            for (int32_t q = 0; q < len; q++, j += 2) {
                h ^= values[(pos[i] + prog[j + 1]) * A + prog[j]];
                h *= TAG_M2;
                h ^= h >> 29;
            }
            h *= TAG_M1;
            r[f] = (uint32_t)(h >> shift);
        }
    }
    tag_sentences(rows, n, F, w, tr, bounds, m, back, out);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyMem_Free(rows);
    PyMem_Free(back);
    Py_buffer *all[] = {&b_values, &b_pos, &b_prog, &b_w, &b_t, &b_bounds, &b_out};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return result;
}

static PyMethodDef methods[] = {
    {"keep_freed_memory", keep_freed_memory, METH_NOARGS,
     "Tune glibc malloc to keep freed memory for reuse (process-wide); False off glibc."},
    {"score_gaps", (PyCFunction)(void (*)(void))score_gaps, METH_VARARGS | METH_KEYWORDS,
     "Feature scores of gaps (see tieng.features.ScoreTables.scores)."},
    {"scan_chunks", scan_chunks, METH_VARARGS,
     "Tokens, starts and line breaks of a text (see tieng.tokenization.scan)."},
    {"lookup_codes", lookup_codes, METH_VARARGS,
     "Codes of many tokens from a code cache (see tieng.vocabulary.Vocabulary.codes)."},
    {"table_weights", table_weights, METH_VARARGS,
     "The weight of every value of a small-domain template (see ScoreTables)."},
    {"count_words", count_words, METH_O, "len(text.split()), without the list."},
    {"codes_of_spans", codes_of_spans, METH_VARARGS,
     "Codes of the tokens text[starts[i]:ends[i]], through a CodeTable."},
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
    if (PyType_Ready(&CodeTableType) < 0)
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
    /* The constants the Python side must agree with (tests/test_speedups.py compares them
     * with tieng.features). */
    if (PyModule_AddIntConstant(m, "ABI_VERSION", ABI_VERSION) < 0 ||
        PyModule_AddIntConstant(m, "SHAPE_COUNT", SHAPE_COUNT) < 0 ||
        PyModule_AddIntConstant(m, "LEX_BITS_MAX", LEX_BITS_MAX) < 0 ||
        PyModule_AddIntConstant(m, "MAX_LISTS", MAX_LISTS) < 0 ||
        PyModule_AddIntConstant(m, "LIST_SOURCES", LIST_SOURCES) < 0 ||
        PyModule_AddIntConstant(m, "SRC_LIST", SRC_LIST) < 0 ||
        PyModule_AddIntConstant(m, "N_SOURCES", N_SOURCES) < 0 ||
        PyModule_AddIntConstant(m, "SPAN_PREFIX", SPAN_PREFIX) < 0 ||
        PyModule_AddIntConstant(m, "MAX_TEMPLATES", MAX_TEMPLATES) < 0 ||
        PyModule_AddIntConstant(m, "TAG_WIDTH", TAG_WIDTH) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
