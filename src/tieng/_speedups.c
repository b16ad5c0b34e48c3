/* Compiled twins of tieng's per-token loops; the Python code stays the reference.
 *
 * Entry points, by job (each has a comment of its own where it is defined):
 *
 * Scanning and tokens
 *   scan_chunks: tieng.tokenization.scan's loop (text cut at single spaces, chunks of letters
 *     taken as tokens, the commonest punctuation cases split directly), calling back to the
 *     regular expression for every other chunk; it can give offsets only.
 *   CodeTable, lookup_codes, codes_of_spans: the token -> code caches of
 *     tieng.vocabulary.Vocabulary (and the tagger's word -> row cache), looked up by the
 *     characters of a slice, without a str object per token.
 *   count_words: len(text.split()) without the list (the syllable count of a batch).
 * Features and scores
 *   Scorer: the feature scoring of tieng.features.ScoreTables.scores, its settings read once;
 *     score_gaps: the same for one call with every setting passed (kept for the tests of
 *     argument checking).  Each template's weights are summed in numpy's order, so the float32
 *     sums are the same bit for bit.
 *   table_weights, widen_halves: the tables of small-domain templates ScoreTables builds or reads.
 *   span_keys, span_table: the lexicon's and the word lists' hash tables (features.SpanTable).
 * Decoders
 *   Line: one text of one line, scanned, looked up, scored and joined in one call (the
 *     per-call path of tieng.segmentation.Segmenter; its outputs are segmentation.LineOut).
 *   viterbi, tag_rows: the tag decoder of tieng.tagging (feature sums and Viterbi, integers),
 *     for a batch and for one sentence.
 * Words and writers
 *   write_segmented: the underscore format of a batch (tieng.results.texts_of).
 *   make_words, with_tags: the Word objects of a batch, and of one text with its tags.
 *   spans_json: words or tokens as JSON bytes (tieng.results.spans_json).
 * Process
 *   keep_freed_memory: glibc malloc settings for programs that own their process (the CLI, the
 *     server), so the large arrays of each batch reuse memory instead of faulting in new pages.
 *
 * Only a CodeTable holds state (a cache; callers serialize its use, as Segmenter does with
 * its lock).  Everything else only reads its inputs and writes its output, and the scorers let
 * other threads run meanwhile.  tests/test_speedups.py checks every function against its
 * Python twin.
 */
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
#define ABI_VERSION 6

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

/* The scorer's settings, read once from the Python objects (features.ScoreTables's program,
 * the lexicon's and the word lists' span tables, the weights); the buffers they point into
 * are held in score_bufs until released. */
typedef struct {
    int n_tpl;
    template_t tpl[MAX_TEMPLATES];
    spantable_t lexicon, lists;
    int n_lists, max_word, hash_bits, half, have_cls;
    const uint16_t *w16;
    const float *w32;
    const float *lut;
} score_cfg;

typedef struct {
    Py_buffer keys, flags, weights, lut, lkeys, lflags;
    Py_buffer tables[MAX_TEMPLATES];
    int n_tables;
} score_bufs;

static void
bufs_release(score_bufs *b)
{
    for (int t = 0; t < b->n_tables; t++)
        PyBuffer_Release(&b->tables[t]);
    b->n_tables = 0;
    Py_buffer *all[] = {&b->keys, &b->flags, &b->weights, &b->lut, &b->lkeys, &b->lflags};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->obj != NULL)
            PyBuffer_Release(all[i]);
}

/* Fills c from the arguments of score_gaps (see below) that do not change from call to call;
 * on failure the caller still releases b. */
static int
cfg_parse(score_cfg *c, score_bufs *b, PyObject *o_lexicon, int max_word, int hash_bits,
          PyObject *o_weights, PyObject *o_lut, PyObject *program, PyObject *o_lists,
          int have_cls)
{
    if (max_word < LEX_BITS_MAX || max_word > 16 || hash_bits < 10 || hash_bits > 30) {
        PyErr_SetString(PyExc_ValueError, "feature settings out of range");
        return -1;
    }
    c->max_word = max_word;
    c->hash_bits = hash_bits;
    c->have_cls = have_cls;
    c->n_lists = 0;
    if (spantable_from(o_lexicon, &b->keys, &b->flags, &c->lexicon) < 0)
        return -1;
    if (PyObject_GetBuffer(o_weights, &b->weights, PyBUF_C_CONTIGUOUS) < 0)
        return -1;
    if (get_buffer(o_lut, &b->lut, 4, 0, "half_to_float") < 0)
        return -1;
    if ((b->weights.itemsize != 2 && b->weights.itemsize != 4) ||
        b->weights.len / b->weights.itemsize != ((Py_ssize_t)1 << hash_bits) ||
        b->lut.len != 4 * 65536) {
        PyErr_SetString(PyExc_ValueError, "score_gaps: arrays of inconsistent sizes");
        return -1;
    }
    c->half = b->weights.itemsize == 2;
    c->w16 = (const uint16_t *)b->weights.buf;
    c->w32 = (const float *)b->weights.buf;
    c->lut = (const float *)b->lut.buf;
    if (o_lists != Py_None) {
        PyObject *o_lk, *o_lf;
        int bits, count;
        if (!PyArg_ParseTuple(o_lists, "OOii", &o_lk, &o_lf, &bits, &count))
            return -1;
        if (count < 0 || count > MAX_LISTS) {
            PyErr_SetString(PyExc_ValueError, "too many word lists");
            return -1;
        }
        PyObject *table = Py_BuildValue("(OOi)", o_lk, o_lf, bits);
        if (table == NULL)
            return -1;
        int bad = spantable_from(table, &b->lkeys, &b->lflags, &c->lists);
        Py_DECREF(table);
        if (bad < 0)
            return -1;
        c->n_lists = count;
    }
    /* The program: one (sources, table or None, domains or None) per template. */
    PyObject *seq = PySequence_Fast(program, "program must be a sequence");
    if (seq == NULL)
        return -1;
    int rc = -1;
    Py_ssize_t n_tpl = PySequence_Fast_GET_SIZE(seq);
    if (n_tpl > MAX_TEMPLATES) {
        PyErr_SetString(PyExc_ValueError, "too many templates");
        goto out;
    }
    c->n_tpl = (int)n_tpl;
    for (Py_ssize_t t = 0; t < n_tpl; t++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, t);
        PyObject *srcs, *table, *domain;
        if (!PyArg_ParseTuple(item, "OOO", &srcs, &table, &domain))
            goto out;
        template_t *T = &c->tpl[t];
        Py_ssize_t k = PySequence_Size(srcs);
        if (k < 1 || k > MAX_COMPONENTS) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "a template needs 1 to 8 components");
            goto out;
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
                goto out;
            }
            if (!have_cls && s >= SRC_CLASS && s < SRC_CLASS + 6) {
                PyErr_SetString(PyExc_ValueError, "a class template without classes");
                goto out;
            }
            if (s >= SRC_LIST + LIST_SOURCES * c->n_lists) {
                PyErr_SetString(PyExc_ValueError, "a word-list template without its list");
                goto out;
            }
            T->src[j] = (int)s;
            T->domain[j] = 0;
        }
        if (table != Py_None) {
            if (PySequence_Size(domain) != k) {
                if (!PyErr_Occurred())
                    PyErr_SetString(PyExc_ValueError, "a domain for each component expected");
                goto out;
            }
            for (Py_ssize_t j = 0; j < k; j++) {
                PyObject *v = PySequence_GetItem(domain, j);
                T->domain[j] = v ? PyLong_AsLongLong(v) : -1;
                Py_XDECREF(v);
                if (T->domain[j] < 1) {
                    if (!PyErr_Occurred())
                        PyErr_SetString(PyExc_ValueError, "bad domain");
                    goto out;
                }
            }
            if (get_buffer(table, &b->tables[b->n_tables], 4, 0, "table") < 0)
                goto out;
            T->table = (const float *)b->tables[b->n_tables].buf;
            T->table_len = b->tables[b->n_tables].len / 4;
            b->n_tables++;
        }
    }
    rc = 0;
out:
    Py_DECREF(seq);
    return rc;
}

/* The words found are gathered a chunk of tokens at a time, into buffers that stay in cache:
 * span summaries for the tokens around the chunk's gaps need the words starting up to
 * max_word + 1 tokens before its first gap and up to 2 tokens after its last. */
enum { SCORE_CHUNK = 4096 };

typedef struct {
    uint32_t *known;
    span_t *spans;
    Py_ssize_t width;
} score_scratch;

/* Scratch buffers for scoring n padded tokens (sized for the call: nothing is shared between
 * calls or threads); -1 with MemoryError set. */
static int
scratch_alloc(const score_cfg *c, Py_ssize_t n, score_scratch *s)
{
    const Py_ssize_t rows = n < SCORE_CHUNK ? n : SCORE_CHUNK;
    s->width = rows + 2 * c->max_word + 8;
    const size_t count = (size_t)((1 + c->n_lists) * s->width);
    s->known = (uint32_t *)PyMem_Malloc(count * sizeof(uint32_t));
    s->spans = (span_t *)PyMem_Malloc(count * sizeof(span_t));
    if (s->known == NULL || s->spans == NULL) {
        PyMem_Free(s->known);
        PyMem_Free(s->spans);
        s->known = NULL;
        s->spans = NULL;
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void
scratch_free(score_scratch *s)
{
    PyMem_Free(s->known);
    PyMem_Free(s->spans);
}

/* The sum of the weights of every feature at each gap ``where`` (positions in the padded
 * arrays ids, shapes, cls of n items, increasing, each at least 3 from either end), into
 * out.  Needs no Python object: score_gaps runs it with other threads let in.  Returns 0, or
 * -1 when a feature value lies outside its table (a malformed program). */
static int
score_core(const score_cfg *c, const int64_t *ids, const int64_t *shapes, const int64_t *cls,
           Py_ssize_t n, const int64_t *where, Py_ssize_t n_gaps, float *out,
           score_scratch *scratch)
{
    const int max_word = c->max_word, hash_bits = c->hash_bits, half = c->half;
    const int n_lists = c->n_lists, n_tpl = c->n_tpl;
    const template_t *tpl = c->tpl;
    const Py_ssize_t width = scratch->width;
    uint32_t *known = scratch->known, *lknown = known + width;
    span_t *spans = scratch->spans, *lspans = spans + width;
    const uint16_t *w16 = c->w16;
    const float *w32 = c->w32, *lut = c->lut;
    int bad_index = 0;
    /* Two passes a block of gaps: first every template's weight index (prefetching the
     * weight), then the sums, in template order.  The weights are fetched from a table too
     * big for the cache, so issuing all of a block's fetches before using any lets them
     * overlap. */
    uint64_t v[N_SOURCES];
    enum { BLOCK = 16 };
    int64_t slot[BLOCK][MAX_TEMPLATES];
    for (Py_ssize_t c0 = 0, c1; c0 < n_gaps; c0 = c1) {
        const Py_ssize_t first = where[c0];
        for (c1 = c0 + 1; c1 < n_gaps && where[c1] < first + SCORE_CHUNK; c1++)
            ;
        const Py_ssize_t base = first - max_word - 1 > 0 ? first - max_word - 1 : 0;
        const Py_ssize_t top = where[c1 - 1] + 3 < n ? where[c1 - 1] + 3 : n;
        /* what mark_known and summarize_spans touch, and the reads one past it */
        const size_t used = (size_t)(top - base + max_word + 2);
        for (int e = 0; e <= n_lists; e++) {
            memset(known + e * width, 0, used * sizeof(uint32_t));
            memset(spans + e * width, 0, used * sizeof(span_t));
        }
        mark_known(ids, n, base, top, &c->lexicon, 0, max_word, known, width);
        summarize_spans(known, top - base, max_word, spans);
        if (n_lists > 0) {
            mark_known(ids, n, base, top, &c->lists, n_lists, max_word, lknown, width);
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

                for (int t = 0; t < n_tpl; t++) {
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
                for (int t = 0; t < n_tpl; t++) {
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
    return bad_index ? -1 : 0;
}

/* Scores the gaps of padded arrays with a parsed scorer; the argument checks of score_gaps
 * and Scorer.score. */
static PyObject *
score_arrays(const score_cfg *c, PyObject *o_pid, PyObject *o_psh, PyObject *o_pcls,
             PyObject *o_where, PyObject *o_out)
{
    Py_buffer b_pid = {0}, b_psh = {0}, b_pcls = {0}, b_where = {0}, b_out = {0};
    PyObject *result = NULL;
    const int have_cls = o_pcls != Py_None;
    score_scratch scratch = {NULL, NULL, 0};
    if (have_cls != c->have_cls) {
        PyErr_SetString(PyExc_ValueError, "score_gaps: classes given to a scorer without "
                                          "class templates, or the other way round");
        return NULL;
    }
    if (get_buffer(o_pid, &b_pid, 8, 0, "pid") < 0)
        goto done;
    if (get_buffer(o_psh, &b_psh, 8, 0, "psh") < 0)
        goto done;
    if (have_cls && get_buffer(o_pcls, &b_pcls, 8, 0, "pcls") < 0)
        goto done;
    if (get_buffer(o_where, &b_where, 8, 0, "where") < 0)
        goto done;
    if (get_buffer(o_out, &b_out, 4, 1, "out") < 0)
        goto done;
    const Py_ssize_t n = b_pid.len / 8;
    const Py_ssize_t n_gaps = b_where.len / 8;
    const int64_t *where = (const int64_t *)b_where.buf;
    if (b_psh.len != b_pid.len || (have_cls && b_pcls.len != b_pid.len) ||
        b_out.len / 4 != n_gaps) {
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
    if (n_gaps > 0 && scratch_alloc(c, n, &scratch) < 0)
        goto done;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    bad = score_core(c, (const int64_t *)b_pid.buf, (const int64_t *)b_psh.buf,
                     have_cls ? (const int64_t *)b_pcls.buf : NULL, n, where, n_gaps,
                     (float *)b_out.buf, &scratch);
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_IndexError, "score_gaps: a feature value lies outside its table");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    scratch_free(&scratch);
    Py_buffer *all[] = {&b_pid, &b_psh, &b_pcls, &b_where, &b_out};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->obj != NULL)
            PyBuffer_Release(all[i]);
    return result;
}

/* score_gaps(pid, psh, pcls, where, lexicon, max_word, hash_bits, weights, half_to_float,
 *            program, out, lists)
 * lexicon: the training lexicon's features.SpanTable as (keys, flags, bits);
 * lists: None, or the outside word lists of features.FeatureSpec.lists as the table of one
 * features.WordLists and the number of lists: (keys, flags, bits, count).
 * The settings are read anew at every call; a Scorer reads them once. */
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
    score_cfg cfg;
    score_bufs bufs;
    memset(&bufs, 0, sizeof(bufs));
    PyObject *result = NULL;
    if (cfg_parse(&cfg, &bufs, o_lexicon, max_word, hash_bits, o_weights, o_lut, program,
                  o_lists, o_pcls != Py_None) == 0)
        result = score_arrays(&cfg, o_pid, o_psh, o_pcls, o_where, o_out);
    bufs_release(&bufs);
    return result;
}

/* Scorer(lexicon, max_word, hash_bits, weights, half_to_float, program, lists, classes):
 * the settings of score_gaps read once and kept (with the arrays they point into), for a
 * model's whole life; ``classes`` says whether the program has class templates.
 * Scorer.score(pid, psh, pcls, where, out) is score_gaps with them.  Immutable: safe to
 * share between threads. */
typedef struct {
    PyObject_HEAD
    score_cfg cfg;
    score_bufs bufs;
} Scorer;

static void
Scorer_dealloc(Scorer *s)
{
    bufs_release(&s->bufs);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *
Scorer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *names[] = {"lexicon", "max_word", "hash_bits", "weights", "half_to_float",
                            "program", "lists", "classes", NULL};
    PyObject *o_lexicon, *o_weights, *o_lut, *program, *o_lists;
    int max_word, hash_bits, classes;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OiiOOOOp:Scorer", names, &o_lexicon,
                                     &max_word, &hash_bits, &o_weights, &o_lut, &program,
                                     &o_lists, &classes))
        return NULL;
    Scorer *s = (Scorer *)type->tp_alloc(type, 0); /* fields zeroed */
    if (s == NULL)
        return NULL;
    if (cfg_parse(&s->cfg, &s->bufs, o_lexicon, max_word, hash_bits, o_weights, o_lut,
                  program, o_lists, classes) < 0) {
        Py_DECREF(s);
        return NULL;
    }
    return (PyObject *)s;
}

static PyObject *
Scorer_score(PyObject *self, PyObject *args)
{
    PyObject *o_pid, *o_psh, *o_pcls, *o_where, *o_out;
    if (!PyArg_ParseTuple(args, "OOOOO", &o_pid, &o_psh, &o_pcls, &o_where, &o_out))
        return NULL;
    return score_arrays(&((Scorer *)self)->cfg, o_pid, o_psh, o_pcls, o_where, o_out);
}

static PyMethodDef Scorer_methods[] = {
    {"score", Scorer_score, METH_VARARGS,
     "score(pid, psh, pcls, where, out): score_gaps with this scorer's settings."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tieng._speedups.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The settings of score_gaps, read once (see features.ScoreTables).",
    .tp_new = Scorer_new,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};


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
    if (ch == 0x2B9 || ch == 0x2BA) /* modifier primes, typed as quotes: tokenization._PRIMES */
        return 0;
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

/* What the tokenizer's loop needs besides the text (the arguments of scan_chunks). */
typedef struct {
    PyObject *findall, *spaces, *breaks, *trailing, *leading, *plain_before_dot;
    int pretokenized;
    Py_ssize_t context;
} scan_cfg;

/* The loop of tieng.tokenization.scan over text: tokens into sink, and the offsets of line
 * breaks into line_breaks (a list).  0, or -1 with an exception set. */
static int
scan_core(PyObject *text, const scan_cfg *c, token_sink *sink, PyObject *line_breaks)
{
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *spaces = c->spaces, *breaks = c->breaks;
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
                return -1;
            goto next;
        }
        if (len == 1) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, a);
            if (!in_chars(spaces, ch)) {
                if (push(sink, text, a, b) < 0)
                    return -1;
            }
            else if (in_chars(breaks, ch)) {
                if (push_int(line_breaks, a) < 0)
                    return -1;
            }
            goto next;
        }
        if (!c->pretokenized) {
            /* A word or a number with punctuation marks around it ("(nói),", "2004)."), as
             * tokenization._punctuated cuts it: marks of ``leading`` before the core, marks of
             * ``trailing`` after it, the last of which may also be "." or "…". */
            Py_ssize_t i = a, j = b;
            while (i < j && in_chars(c->leading, PyUnicode_READ(kind, data, i)))
                i++;
            if (j > i) {
                const Py_UCS4 last = PyUnicode_READ(kind, data, j - 1);
                if (last == '.' || last == 0x2026 || in_chars(c->trailing, last)) {
                    j--;
                    while (j > i && in_chars(c->trailing, PyUnicode_READ(kind, data, j - 1)))
                        j--;
                }
            }
            if (i < j && (i > a || j < b)) {
                int ok = 0;
                if (all_alpha(kind, data, i, j)) {
                    ok = 1;
                    if (j == b - 1 && PyUnicode_READ(kind, data, j) == '.') {
                        /* At the end of a line (only spaces after it) the dot is a full
                         * stop: an abbreviation keeps its dot only when more text follows
                         * on the line.  Elsewhere, only a plain word's dot is one. */
                        Py_ssize_t after = b;
                        while (after < n && PyUnicode_READ(kind, data, after) == ' ')
                            after++;
                        if (after < n && !in_chars(breaks, PyUnicode_READ(kind, data, after))) {
                            PyObject *body = PyUnicode_Substring(text, i, j);
                            if (body == NULL)
                                return -1;
                            PyObject *r = PyObject_CallOneArg(c->plain_before_dot, body);
                            Py_DECREF(body);
                            if (r == NULL)
                                return -1;
                            ok = PyObject_IsTrue(r);
                            Py_DECREF(r);
                            if (ok < 0)
                                return -1;
                        }
                    }
                }
                else {
                    ok = 1;
                    for (Py_ssize_t k = i; k < j && ok; k++) {
                        const Py_UCS4 ch = PyUnicode_READ(kind, data, k);
                        ok = ch >= '0' && ch <= '9';
                    }
                }
                if (ok) {
                    for (Py_ssize_t k = a; k < i; k++)
                        if (push(sink, text, k, k + 1) < 0)
                            return -1;
                    if (push(sink, text, i, j) < 0)
                        return -1;
                    for (Py_ssize_t k = j; k < b; k++)
                        if (push(sink, text, k, k + 1) < 0)
                            return -1;
                    goto next;
                }
            }
        }
        {
            Py_ssize_t stop = b + c->context < n ? b + c->context : n;
            PyObject *pieces = PyObject_CallFunction(c->findall, "Onn", text, a, stop);
            if (pieces == NULL)
                return -1;
            PyObject *seq = PySequence_Fast(pieces, "findall must give a list");
            Py_DECREF(pieces);
            if (seq == NULL)
                return -1;
            Py_ssize_t p = a;
            Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
            for (Py_ssize_t k = 0; k < m && p < b; k++) {
                PyObject *piece = PySequence_Fast_GET_ITEM(seq, k);
                if (!PyUnicode_Check(piece) || PyUnicode_GET_LENGTH(piece) == 0) {
                    Py_DECREF(seq);
                    PyErr_SetString(PyExc_ValueError, "findall gave an empty piece");
                    return -1;
                }
                Py_ssize_t plen = PyUnicode_GET_LENGTH(piece);
                if (in_chars(spaces, PyUnicode_READ_CHAR(piece, 0))) {
                    int has_break = 0;
                    for (Py_ssize_t j = 0; j < plen && !has_break; j++)
                        has_break = in_chars(breaks, PyUnicode_READ_CHAR(piece, j));
                    if (has_break && push_int(line_breaks, p) < 0) {
                        Py_DECREF(seq);
                        return -1;
                    }
                }
                else {
                    if ((sink->tokens != NULL && PyList_Append(sink->tokens, piece) < 0) ||
                        vec_push(&sink->starts, p) < 0 || vec_push(&sink->ends, p + plen) < 0) {
                        Py_DECREF(seq);
                        return -1;
                    }
                }
                p += plen;
            }
            Py_DECREF(seq);
        }
    next:
        a = b + 1;
    }
    return 0;
}

static PyObject *
scan_chunks(PyObject *self, PyObject *args)
{
    PyObject *text;
    scan_cfg c;
    int with_tokens;
    if (!PyArg_ParseTuple(args, "UOpUUUUOnp", &text, &c.findall, &c.pretokenized, &c.spaces,
                          &c.breaks, &c.trailing, &c.leading, &c.plain_before_dot, &c.context,
                          &with_tokens))
        return NULL;
    PyObject *tokens = PyList_New(0), *line_breaks = PyList_New(0);
    token_sink sink = {with_tokens ? tokens : NULL, {NULL, 0, 0}, {NULL, 0, 0}};
    if (tokens == NULL || line_breaks == NULL || scan_core(text, &c, &sink, line_breaks) < 0)
        goto fail;
    {
        PyObject *starts = vec_to_bytes(&sink.starts), *ends = vec_to_bytes(&sink.ends);
        PyMem_Free(sink.starts.data);
        PyMem_Free(sink.ends.data);
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
    PyMem_Free(sink.starts.data);
    PyMem_Free(sink.ends.data);
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
 * widen_halves(halves, half_to_float, out): out[i] = half_to_float[halves[i]], the float16
 * values (as uint16 bits) of the score tables a model file stores, made float32.
 */
static PyObject *
widen_halves(PyObject *self, PyObject *args)
{
    PyObject *o_in, *o_lut, *o_out;
    if (!PyArg_ParseTuple(args, "OOO", &o_in, &o_lut, &o_out))
        return NULL;
    Py_buffer b_in = {0}, b_lut = {0}, b_out = {0};
    PyObject *result = NULL;
    if (get_buffer(o_in, &b_in, 2, 0, "halves") < 0 ||
        get_buffer(o_lut, &b_lut, 4, 0, "half_to_float") < 0 ||
        get_buffer(o_out, &b_out, 4, 1, "out") < 0)
        goto done;
    if (b_out.len / 4 != b_in.len / 2 || b_lut.len != 4 * 65536) {
        PyErr_SetString(PyExc_ValueError, "widen_halves: arrays of inconsistent sizes");
        goto done;
    }
    const uint16_t *in = (const uint16_t *)b_in.buf;
    const float *lut = (const float *)b_lut.buf;
    float *out = (float *)b_out.buf;
    const Py_ssize_t n = b_in.len / 2;
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = lut[in[i]];
    result = Py_NewRef(Py_None);
done:
    Py_buffer *all[] = {&b_in, &b_lut, &b_out};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return result;
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
    /* A block of indices at a time, each weight prefetched before any is read: the weights
     * are scattered over a table far bigger than the cache. */
    enum { AHEAD = 64 };
    uint64_t idx[AHEAD];
    for (Py_ssize_t f0 = 0; f0 < total; f0 += AHEAD) {
        const Py_ssize_t f1 = f0 + AHEAD < total ? f0 + AHEAD : total;
        for (Py_ssize_t f = f0; f < f1; f++) {
            uint64_t h = seed;
            for (Py_ssize_t j = 0; j < k; j++) {
                h ^= value[j];
                h *= M2;
            }
            h ^= h >> 31;
            idx[f - f0] = (h * M3) >> (64 - hash_bits);
            if (half)
                PREFETCH(w16 + idx[f - f0]);
            else
                PREFETCH(w32 + idx[f - f0]);
            for (Py_ssize_t j = k - 1; j >= 0; j--) { /* next value, C order */
                if (++value[j] < (uint64_t)dom[j])
                    break;
                value[j] = 0;
            }
        }
        for (Py_ssize_t f = f0; f < f1; f++)
            out[f] = half ? lut[w16[idx[f - f0]]] : w32[idx[f - f0]];
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

/* out[i] = the code of text[starts[i]:ends[i]], from the table or from compute (then kept);
 * 0, or -1 with an exception set. */
static int
codes_core(CodeTable *t, PyObject *text, const int64_t *starts, const int64_t *ends,
           Py_ssize_t n, PyObject *compute, int64_t *out)
{
    const Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_ssize_t a = starts[i], b = ends[i];
        if (a < 0 || b <= a || b > size) {
            PyErr_SetString(PyExc_ValueError, "codes_of_spans: a span outside the text");
            return -1;
        }
        const uint64_t h = slice_hash(kind, data, a, b);
        code_entry *e = table_find(t, h, kind, data, a, b);
        if (e != NULL && e->hash != 0) {
            out[i] = e->code;
            continue;
        }
        PyObject *tok = PyUnicode_Substring(text, a, b);
        if (tok == NULL)
            return -1;
        PyObject *r = PyObject_CallOneArg(compute, tok);
        Py_DECREF(tok);
        if (r == NULL)
            return -1;
        long long code = PyLong_AsLongLong(r);
        Py_DECREF(r);
        if (code == -1 && PyErr_Occurred())
            return -1;
        if (table_insert(t, h, kind, data, a, b, code) < 0)
            return -1;
        out[i] = code;
    }
    return 0;
}

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
    const Py_ssize_t n = b_starts.len / 8;
    const int64_t *starts = b_starts.buf, *ends = b_ends.buf;
    int64_t *out = b_out.buf;
    if (b_ends.len != b_starts.len || b_out.len != b_starts.len) {
        PyErr_SetString(PyExc_ValueError, "codes_of_spans: arrays of different lengths");
        goto done;
    }
    if (codes_core(t, text, starts, ends, n, compute, out) < 0)
        goto done;
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

/* ------------------------------------------------------------------------------------------
 * Line: one text in, one result out, for callers that segment a text at a time.  What the
 * batch path does with numpy over many texts (tokenize, look codes up, pad, find the gaps,
 * read ALL-CAPS sentences as sentence case, score, join), done for one text in one call,
 * with scratch memory sized for the call.  Only a text of one line of at most ``window``
 * characters takes it; for any other, run() gives None and the caller takes the batch path.
 *
 * Line(scorer, table, compute, findall, pretokenized, spaces, breaks, trailing, leading,
 *      plain_before_dot, context, classes, bias, joinable, word, window)
 *   scorer: the model's Scorer; table, compute: the vocabulary's CodeTable and its function
 *   (as codes_of_spans); findall .. context: as scan_chunks; classes: the syllable class of
 *   each vocabulary id (int64) or None; bias: the model's; joinable: 16 bytes, features.
 *   JOINABLE; word: the Word class (a tuple subclass).
 * run(text, mode), the modes as tieng.segmentation.LineOut names them: TEXT (0), the
 *   underscore text; WORDS (1), (underscore text, [Word]); SCORES (2), (underscore text, token
 *   starts, token ends, join scores): the bytes of int64, int64 and float32 arrays, from which
 *   the caller makes anything else (confidences); WORD_SPANS (3), (underscore text, [Word], the
 *   bytes of int64 (start, end) pairs, one a word: what the stages after segmentation read).
 */
#define PAD_TOKENS 3    /* features.PAD */
#define UNKNOWN_ID 1    /* vocabulary.UNKNOWN */
#define SHAPE_SYMBOL 9  /* features.Shape */
#define SHAPE_LOWER 1
#define SHAPE_TITLE 2
#define SHAPE_UPPER 3
#define SHAPE_MIXED 4
#define SHAPE_FOREIGN 12 /* models with foreign-word shapes (FeatureSpec.foreign) */
#define SHAPE_FOREIGN_TITLE 13
#define SHAPE_COUNTRY 14 /* models with country names (FeatureSpec.countries) */
#define IS_FOREIGN(s) ((s) == SHAPE_FOREIGN || (s) == SHAPE_FOREIGN_TITLE)
/* The capitals rule (tieng.capitals: one rule, the same thresholds). */
#define CAPS_MIN 2
#define CAPS_NUM 3 /* CAPS_SHARE */
#define CAPS_DEN 4
#define TITLE_MIN 4
#define TITLE_NUM 9 /* TITLE_SHARE */
#define TITLE_DEN 10
#define IN_CAPITALS(letters, upper) ((upper) >= CAPS_MIN && CAPS_DEN * (upper) >= CAPS_NUM * (letters))
#define IN_TITLE_CASE(letters, upper, title)                                                       \
    ((title) >= TITLE_MIN && TITLE_DEN * ((title) + (upper)) >= TITLE_NUM * (letters))

typedef struct {
    PyObject_HEAD
    Scorer *scorer;
    CodeTable *table;
    PyObject *compute, *word;
    scan_cfg scan;
    Py_buffer classes; /* obj NULL: no classes */
    float bias;
    unsigned char joinable[SHAPE_COUNT];
    unsigned char low_break[256]; /* line-break characters below 256 */
    Py_UCS4 high_break[16];       /* and the others */
    int n_high;
    Py_ssize_t window;
} Line;

static void
Line_dealloc(Line *l)
{
    Py_XDECREF(l->scorer);
    Py_XDECREF(l->table);
    Py_XDECREF(l->compute);
    Py_XDECREF(l->word);
    Py_XDECREF(l->scan.findall);
    Py_XDECREF(l->scan.spaces);
    Py_XDECREF(l->scan.breaks);
    Py_XDECREF(l->scan.trailing);
    Py_XDECREF(l->scan.leading);
    Py_XDECREF(l->scan.plain_before_dot);
    if (l->classes.obj != NULL)
        PyBuffer_Release(&l->classes);
    Py_TYPE(l)->tp_free((PyObject *)l);
}

static PyObject *
Line_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *scorer, *table, *compute, *findall, *spaces, *breaks, *trailing, *leading;
    PyObject *plain, *o_classes, *o_joinable, *word;
    int pretokenized;
    Py_ssize_t context, window;
    double bias;
    if (!PyArg_ParseTuple(args, "O!O!OOpUUUUOnOdOOn:Line", &ScorerType, &scorer, &CodeTableType,
                          &table, &compute, &findall, &pretokenized, &spaces, &breaks,
                          &trailing, &leading, &plain, &context, &o_classes, &bias,
                          &o_joinable, &word, &window))
        return NULL;
    if (!PyType_Check(word) || !PyType_IsSubtype((PyTypeObject *)word, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "Line: word must be a tuple subclass");
        return NULL;
    }
    if (PyUnicode_GET_LENGTH(breaks) > 16 + 256) {
        PyErr_SetString(PyExc_ValueError, "Line: too many line-break characters");
        return NULL;
    }
    Line *l = (Line *)type->tp_alloc(type, 0); /* fields zeroed */
    if (l == NULL)
        return NULL;
    Py_INCREF(scorer);
    l->scorer = (Scorer *)scorer;
    Py_INCREF(table);
    l->table = (CodeTable *)table;
    Py_INCREF(compute);
    l->compute = compute;
    Py_INCREF(word);
    l->word = word;
    PyObject **keep[] = {&findall, &spaces, &breaks, &trailing, &leading, &plain};
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
        Py_INCREF(*keep[i]);
    l->scan = (scan_cfg){findall, spaces, breaks, trailing, leading, plain, pretokenized,
                         context};
    l->bias = (float)bias;
    l->window = window;
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(breaks); i++) {
        Py_UCS4 ch = PyUnicode_READ_CHAR(breaks, i);
        if (ch < 256)
            l->low_break[ch] = 1;
        else if (l->n_high < 16)
            l->high_break[l->n_high++] = ch;
        else {
            PyErr_SetString(PyExc_ValueError, "Line: too many line-break characters");
            goto fail;
        }
    }
    Py_buffer b_join;
    if (get_buffer(o_joinable, &b_join, 1, 0, "joinable") < 0)
        goto fail;
    if (b_join.len != SHAPE_COUNT) {
        PyBuffer_Release(&b_join);
        PyErr_SetString(PyExc_ValueError, "Line: joinable needs one byte a shape");
        goto fail;
    }
    memcpy(l->joinable, b_join.buf, SHAPE_COUNT);
    PyBuffer_Release(&b_join);
    if (o_classes != Py_None && get_buffer(o_classes, &l->classes, 8, 0, "classes") < 0)
        goto fail;
    if ((l->classes.obj != NULL) != l->scorer->cfg.have_cls) {
        PyErr_SetString(PyExc_ValueError, "Line: classes and the scorer's templates disagree");
        goto fail;
    }
    return (PyObject *)l;
fail:
    Py_DECREF(l);
    return NULL;
}

static int
has_line_break(const Line *l, PyObject *text)
{
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 256) {
            if (l->low_break[ch])
                return 1;
        }
        else {
            for (int k = 0; k < l->n_high; k++)
                if (ch == l->high_break[k])
                    return 1;
        }
    }
    return 0;
}

/* The underscore text of the tokens (kinds as in write_segmented: 0 " ", 1 "_", 3 none). */
static PyObject *
write_one(PyObject *text, const int64_t *starts, const int64_t *ends, const int8_t *kinds,
          Py_ssize_t n)
{
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    static const Py_UCS4 separator[4] = {' ', '_', '\n', 0};
    Py_ssize_t len = 0;
    Py_UCS4 max = 127;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = starts[i]; j < ends[i]; j++) {
            const Py_UCS4 ch = PyUnicode_READ(kind, data, j);
            len += 1 + (ch == '_' || ch == '\\');
            if (ch > max)
                max = ch;
        }
        len += kinds[i] != 3;
    }
    PyObject *out = PyUnicode_New(len, max);
    if (out == NULL)
        return NULL;
    const int okind = PyUnicode_KIND(out);
    void *odata = PyUnicode_DATA(out);
    Py_ssize_t w = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        for (Py_ssize_t j = starts[i]; j < ends[i]; j++) {
            const Py_UCS4 ch = PyUnicode_READ(kind, data, j);
            if (ch == '_' || ch == '\\')
                PyUnicode_WRITE(okind, odata, w++, '\\');
            PyUnicode_WRITE(okind, odata, w++, ch);
        }
        if (kinds[i] != 3)
            PyUnicode_WRITE(okind, odata, w++, separator[kinds[i]]);
    }
    return out;
}

/* The Word objects of the tokens, a word ending at each token whose kind is not 1. */
static PyObject *
words_of(PyObject *word_type, PyObject *text, const int64_t *starts, const int64_t *ends,
         const int8_t *kinds, Py_ssize_t n)
{
    PyObject *list = PyList_New(0);
    if (list == NULL)
        return NULL;
    PyTypeObject *type = (PyTypeObject *)word_type;
    Py_ssize_t first = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (kinds[i] == 1)
            continue;
        const Py_ssize_t a = starts[first], b = ends[i];
        first = i + 1;
        PyObject *w = type->tp_alloc(type, 5);
        if (w == NULL)
            goto fail;
        PyObject *piece = PyUnicode_Substring(text, a, b);
        PyObject *pa = PyLong_FromSsize_t(a), *pb = PyLong_FromSsize_t(b);
        if (piece == NULL || pa == NULL || pb == NULL) {
            Py_XDECREF(piece);
            Py_XDECREF(pa);
            Py_XDECREF(pb);
            Py_DECREF(w);
            goto fail;
        }
        PyTuple_SET_ITEM(w, 0, piece);
        PyTuple_SET_ITEM(w, 1, pa);
        PyTuple_SET_ITEM(w, 2, pb);
        Py_INCREF(Py_None);
        PyTuple_SET_ITEM(w, 3, Py_None);
        Py_INCREF(Py_None);
        PyTuple_SET_ITEM(w, 4, Py_None);
        int rc = PyList_Append(list, w);
        Py_DECREF(w);
        if (rc < 0)
            goto fail;
    }
    return list;
fail:
    Py_DECREF(list);
    return NULL;
}

static PyObject *
Line_run(PyObject *self, PyObject *args)
{
    Line *l = (Line *)self;
    PyObject *text;
    int mode;
    if (!PyArg_ParseTuple(args, "Ui:run", &text, &mode))
        return NULL;
    if (mode < 0 || mode > 3) {
        PyErr_SetString(PyExc_ValueError, "Line.run: mode is 0, 1, 2 or 3");
        return NULL;
    }
    if (PyUnicode_GET_LENGTH(text) > l->window || has_line_break(l, text))
        Py_RETURN_NONE;
    const score_cfg *cfg = &l->scorer->cfg;
    PyObject *result = NULL, *line_breaks = PyList_New(0);
    token_sink sink = {NULL, {NULL, 0, 0}, {NULL, 0, 0}};
    int64_t *work = NULL;
    float *scores = NULL;
    int8_t *kinds = NULL;
    score_scratch scratch = {NULL, NULL, 0};
    if (line_breaks == NULL || scan_core(text, &l->scan, &sink, line_breaks) < 0)
        goto done;
    if (PyList_GET_SIZE(line_breaks) > 0) { /* not expected after the check above */
        result = Py_None;
        Py_INCREF(result);
        goto done;
    }
    const Py_ssize_t n = sink.starts.len, size = n + 2 * PAD_TOKENS;
    static const int64_t none[1] = {0}; /* no tokens: empty arrays, not NULL */
    const int64_t *starts = n ? sink.starts.data : none, *ends = n ? sink.ends.data : none;
    /* codes, then the padded ids, shapes and classes, and the gaps: one allocation */
    work = (int64_t *)PyMem_Calloc((size_t)(n + 4 * size + 1), sizeof(int64_t));
    scores = (float *)PyMem_Malloc((size_t)(2 * n + 1) * sizeof(float));
    kinds = (int8_t *)PyMem_Malloc((size_t)n + 1);
    if (work == NULL || scores == NULL || kinds == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    int64_t *codes = work, *pid = work + n, *psh = pid + size, *pcls = psh + size;
    int64_t *where = pcls + size;
    if (codes_core(l->table, text, starts, ends, n, l->compute, codes) < 0)
        goto done;
    Py_ssize_t n_letters = 0, n_upper = 0, n_title = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t code = codes[i];
        if (code < 0) /* white space passed as a token: an unknown symbol */
            code = UNKNOWN_ID * SHAPE_COUNT + SHAPE_SYMBOL;
        const int64_t shape = code % SHAPE_COUNT;
        pid[i + PAD_TOKENS] = code / SHAPE_COUNT;
        psh[i + PAD_TOKENS] = shape;
        n_letters += (shape >= SHAPE_LOWER && shape <= SHAPE_MIXED) || IS_FOREIGN(shape) ||
                     shape == SHAPE_COUNTRY;
        n_upper += shape == SHAPE_UPPER;
        n_title += shape == SHAPE_TITLE || shape == SHAPE_FOREIGN_TITLE || shape == SHAPE_COUNTRY;
    }
    /* A sentence in capitals or in Title Case is read as if written in sentence case
     * (model._uncap). */
    if (IN_CAPITALS(n_letters, n_upper) || IN_TITLE_CASE(n_letters, n_upper, n_title)) {
        const int64_t first = psh[PAD_TOKENS];
        for (Py_ssize_t i = PAD_TOKENS; i < n + PAD_TOKENS; i++) {
            if (psh[i] == SHAPE_UPPER || psh[i] == SHAPE_TITLE || psh[i] == SHAPE_COUNTRY)
                psh[i] = SHAPE_LOWER;
            else if (IS_FOREIGN(psh[i]))
                psh[i] = SHAPE_FOREIGN;
        }
        if (n > 0 && IS_FOREIGN(first))
            psh[PAD_TOKENS] = SHAPE_FOREIGN_TITLE;
        else if (n > 0 && ((first >= SHAPE_LOWER && first <= SHAPE_MIXED) || first == SHAPE_COUNTRY))
            psh[PAD_TOKENS] = SHAPE_TITLE;
    }
    if (cfg->have_cls) {
        const int64_t *cls = (const int64_t *)l->classes.buf;
        const Py_ssize_t n_cls = l->classes.len / 8;
        for (Py_ssize_t i = 0; i < size; i++) {
            if (pid[i] < 0 || pid[i] >= n_cls) {
                PyErr_SetString(PyExc_ValueError, "Line: a vocabulary id without a class");
                goto done;
            }
            pcls[i] = cls[pid[i]];
        }
    }
    Py_ssize_t n_gaps = 0;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        const int64_t a = psh[i + PAD_TOKENS], b = psh[i + 1 + PAD_TOKENS];
        if (l->joinable[a] && l->joinable[b])
            where[n_gaps++] = i + PAD_TOKENS;
    }
    float *gap_scores = scores + n;
    for (Py_ssize_t i = 0; i < n; i++)
        scores[i] = -HUGE_VALF;
    if (n_gaps > 0) {
        if (scratch_alloc(cfg, size, &scratch) < 0)
            goto done;
        if (score_core(cfg, pid, psh, cfg->have_cls ? pcls : NULL, size, where, n_gaps,
                       gap_scores, &scratch) < 0) {
            PyErr_SetString(PyExc_IndexError,
                            "score_gaps: a feature value lies outside its table");
            goto done;
        }
        for (Py_ssize_t k = 0; k < n_gaps; k++)
            scores[where[k] - PAD_TOKENS] = gap_scores[k] + l->bias;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        kinds[i] = scores[i] > 0.0f;
    if (n > 0)
        kinds[n - 1] = 3;
    PyObject *joined = write_one(text, starts, ends, kinds, n);
    if (joined == NULL)
        goto done;
    if (mode == 0) {
        result = joined;
        goto done;
    }
    if (mode == 1 || mode == 3) {
        PyObject *words = words_of(l->word, text, starts, ends, kinds, n);
        if (words == NULL) {
            Py_DECREF(joined);
            goto done;
        }
        if (mode == 1) {
            result = Py_BuildValue("(NN)", joined, words);
            goto done;
        }
        /* and each word's start and end, as int64 pairs (over the codes: no longer needed) */
        Py_ssize_t k = 0, first = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (kinds[i] == 1)
                continue;
            codes[k++] = starts[first];
            codes[k++] = ends[i];
            first = i + 1;
        }
        result = Py_BuildValue("(NNy#)", joined, words, (const char *)codes,
                               (Py_ssize_t)(k * sizeof(int64_t)));
        goto done;
    }
    result = Py_BuildValue("(Ny#y#y#)", joined, (const char *)starts,
                           (Py_ssize_t)(n * sizeof(int64_t)), (const char *)ends,
                           (Py_ssize_t)(n * sizeof(int64_t)), (const char *)scores,
                           (Py_ssize_t)(n * sizeof(float)));
done:
    Py_XDECREF(line_breaks);
    PyMem_Free(sink.starts.data);
    PyMem_Free(sink.ends.data);
    PyMem_Free(work);
    PyMem_Free(scores);
    PyMem_Free(kinds);
    scratch_free(&scratch);
    return result;
}

static PyMethodDef Line_methods[] = {
    {"run", Line_run, METH_VARARGS,
     "run(text, mode): one text segmented (see the comment above Line), or None."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject LineType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tieng._speedups.Line",
    .tp_basicsize = sizeof(Line),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One text segmented in one call (see Segmenter's per-call path).",
    .tp_new = Line_new,
    .tp_dealloc = (destructor)Line_dealloc,
    .tp_methods = Line_methods,
};

/* ------------------------------------------------------------------------------------------
 * span_keys(rows, flag) -> (keys, flags): the keys of features.Lexicon and features.WordLists
 * for rows of ids (2-d, 0-padded, items of 2, 4 or 8 bytes): every row's key with ``flag``,
 * and the key of each of its proper prefixes of two or more ids with SPAN_PREFIX, as
 * lexicon_hashes and _prefix_hashes compute them (the row's length is its count of non-zero
 * ids).  The bytes of a uint64 and a uint16 array.
 * span_table(keys, flags) -> (keys, flags, bits): the slots of a features.SpanTable built
 * from them, the same table as the numpy code builds: keys sorted by their multiplicative
 * hash, repeats merged (flags or-ed), each placed in the first free slot from its home on.
 */
static inline uint64_t
row_id(const char *row, Py_ssize_t j, Py_ssize_t size)
{
    if (size == 2)
        return ((const uint16_t *)row)[j];
    if (size == 4)
        return ((const uint32_t *)row)[j];
    return (uint64_t)((const int64_t *)row)[j];
}

static PyObject *
span_keys(PyObject *self, PyObject *args)
{
    PyObject *o_rows;
    unsigned int flag;
    if (!PyArg_ParseTuple(args, "OI", &o_rows, &flag))
        return NULL;
    Py_buffer b;
    if (PyObject_GetBuffer(o_rows, &b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | PyBUF_ND) < 0)
        return NULL;
    PyObject *result = NULL;
    uint64_t *keys = NULL;
    uint16_t *flags = NULL;
    if (b.ndim != 2 || (b.itemsize != 2 && b.itemsize != 4 && b.itemsize != 8)) {
        PyErr_SetString(PyExc_ValueError, "span_keys: rows are a 2-d array of ids");
        goto done;
    }
    const Py_ssize_t n = b.shape[0], width = b.shape[1], size = b.itemsize;
    const size_t cap = (size_t)n * (size_t)(width > 1 ? width - 1 : 1) + 1;
    keys = PyMem_Malloc(cap * sizeof(uint64_t));
    flags = PyMem_Malloc(cap * sizeof(uint16_t));
    if (keys == NULL || flags == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    size_t m = 0;
    for (Py_ssize_t r = 0; r < n; r++) { /* the rows' own keys first, then their prefixes */
        const char *row = (const char *)b.buf + r * width * size;
        Py_ssize_t length = 0;
        for (Py_ssize_t j = 0; j < width; j++)
            length += row_id(row, j, size) != 0;
        uint64_t h = 0;
        for (Py_ssize_t j = 0; j < length; j++)
            h = h * LEX_MULT + row_id(row, j, size) + 1;
        keys[m] = h * M3 + (uint64_t)length;
        flags[m++] = (uint16_t)flag;
    }
    for (Py_ssize_t r = 0; r < n; r++) {
        const char *row = (const char *)b.buf + r * width * size;
        Py_ssize_t length = 0;
        for (Py_ssize_t j = 0; j < width; j++)
            length += row_id(row, j, size) != 0;
        uint64_t h = 0;
        for (Py_ssize_t k = 1; k < length && k < width - 1; k++) {
            if (k == 1)
                h = row_id(row, 0, size) + 1;
            h = h * LEX_MULT + row_id(row, k, size) + 1; /* the first k + 1 ids */
            if (k + 1 < width && length > k + 1) {
                keys[m] = h * M3 + (uint64_t)(k + 1);
                flags[m++] = SPAN_PREFIX;
            }
        }
    }
    result = Py_BuildValue("(y#y#)", (const char *)keys, (Py_ssize_t)(m * sizeof(uint64_t)),
                           (const char *)flags, (Py_ssize_t)(m * sizeof(uint16_t)));
done:
    PyMem_Free(keys);
    PyMem_Free(flags);
    PyBuffer_Release(&b);
    return result;
}

typedef struct {
    uint64_t key;
    uint32_t index;
} span_pair;

static int
compare_pairs(const void *a, const void *b)
{
    const uint64_t x = ((const span_pair *)a)->key, y = ((const span_pair *)b)->key;
    return (x > y) - (x < y);
}

static PyObject *
span_table(PyObject *self, PyObject *args)
{
    PyObject *o_keys, *o_flags;
    if (!PyArg_ParseTuple(args, "OO", &o_keys, &o_flags))
        return NULL;
    Py_buffer bk = {0}, bf = {0};
    PyObject *result = NULL;
    uint64_t *mixed = NULL, *tmp = NULL, *out_keys = NULL;
    uint32_t *order = NULL, *tmp_order = NULL;
    uint16_t *out_flags = NULL;
    if (get_buffer(o_keys, &bk, 8, 0, "keys") < 0 || get_buffer(o_flags, &bf, 2, 0, "flags") < 0)
        goto done;
    const Py_ssize_t given = bk.len / 8;
    if (bf.len / 2 != given || given >= ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "span_table: one flag a key");
        goto done;
    }
    const uint64_t *keys = bk.buf;
    const uint16_t *flags = bf.buf;
    mixed = PyMem_Malloc((size_t)(given + 1) * sizeof(uint64_t));
    tmp = PyMem_Malloc((size_t)(given + 1) * sizeof(uint64_t));
    order = PyMem_Malloc((size_t)(given + 1) * sizeof(uint32_t));
    tmp_order = PyMem_Malloc((size_t)(given + 1) * sizeof(uint32_t));
    if (!mixed || !tmp || !order || !tmp_order) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < given; i++)
        if (keys[i] != 0) { /* a zero key is dropped */
            mixed[n] = keys[i] * M2;
            order[n++] = (uint32_t)i;
        }
    /* Sort by the mixed key: four passes of 16 bits, least significant first (stable). */
    /* Sort by the mixed key: one pass by its top 16 bits into buckets (the keys are hashes,
     * spread evenly: a few a bucket), then each bucket by the whole key. */
    {
        Py_ssize_t *count = PyMem_Calloc((size_t)1 << 16, sizeof(Py_ssize_t));
        if (count == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            count[mixed[i] >> 48]++;
        Py_ssize_t sum = 0;
        for (Py_ssize_t d = 0; d < ((Py_ssize_t)1 << 16); d++) {
            const Py_ssize_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            const Py_ssize_t at = count[mixed[i] >> 48]++;
            tmp[at] = mixed[i];
            tmp_order[at] = order[i];
        }
        PyMem_Free(count);
        uint64_t *sw = mixed;
        mixed = tmp;
        tmp = sw;
        uint32_t *so = order;
        order = tmp_order;
        tmp_order = so;
        /* each bucket (a run of equal top bits) by the whole key: insertion sort, or qsort
         * for a long run */
        for (Py_ssize_t lo = 0, hi; lo < n; lo = hi) {
            for (hi = lo + 1; hi < n && (mixed[hi] >> 48) == (mixed[lo] >> 48); hi++)
                ;
            if (hi - lo > 32) {
                span_pair *pairs = PyMem_Malloc((size_t)(hi - lo) * sizeof(span_pair));
                if (pairs == NULL) {
                    PyErr_NoMemory();
                    goto done;
                }
                for (Py_ssize_t i = lo; i < hi; i++)
                    pairs[i - lo] = (span_pair){mixed[i], order[i]};
                qsort(pairs, (size_t)(hi - lo), sizeof(span_pair), compare_pairs);
                for (Py_ssize_t i = lo; i < hi; i++) {
                    mixed[i] = pairs[i - lo].key;
                    order[i] = pairs[i - lo].index;
                }
                PyMem_Free(pairs);
                continue;
            }
            for (Py_ssize_t i = lo + 1; i < hi; i++) {
                const uint64_t m = mixed[i];
                const uint32_t o = order[i];
                Py_ssize_t j = i;
                while (j > lo && mixed[j - 1] > m) {
                    mixed[j] = mixed[j - 1];
                    order[j] = order[j - 1];
                    j--;
                }
                mixed[j] = m;
                order[j] = o;
            }
        }
    }
    /* Merge repeats: equal mixed keys are equal keys (the hash is one-to-one). */
    Py_ssize_t u = 0;
    uint16_t *merged = (uint16_t *)tmp_order; /* reused: u <= n */
    for (Py_ssize_t i = 0; i < n; i++) {
        if (u > 0 && mixed[u - 1] == mixed[i]) {
            merged[u - 1] |= flags[order[i]];
            continue;
        }
        mixed[u] = mixed[i];
        tmp[u] = keys[order[i]];
        merged[u++] = flags[order[i]];
    }
    int bits = 0;
    while (((Py_ssize_t)1 << bits) < (u > 1 ? u : 1))
        bits++;
    bits = bits + 1 > 4 ? bits + 1 : 4;
    Py_ssize_t last = -1;
    for (Py_ssize_t i = 0; i < u; i++) { /* slots, in order[] (reused) */
        const Py_ssize_t home = (Py_ssize_t)(mixed[i] >> (64 - bits));
        last = home > last + 1 ? home : last + 1;
        order[i] = (uint32_t)last;
    }
    const Py_ssize_t length =
        (((Py_ssize_t)1 << bits) > last + 1 ? ((Py_ssize_t)1 << bits) : last + 1) + 1;
    {
        /* Written straight into the bytes handed back: no second copy of the table. */
        PyObject *b_keys = PyBytes_FromStringAndSize(NULL, length * (Py_ssize_t)sizeof(uint64_t));
        PyObject *b_flags =
            PyBytes_FromStringAndSize(NULL, length * (Py_ssize_t)sizeof(uint16_t));
        if (b_keys == NULL || b_flags == NULL) {
            Py_XDECREF(b_keys);
            Py_XDECREF(b_flags);
            goto done;
        }
        out_keys = (uint64_t *)PyBytes_AS_STRING(b_keys);
        out_flags = (uint16_t *)PyBytes_AS_STRING(b_flags);
        memset(out_keys, 0, (size_t)length * sizeof(uint64_t));
        memset(out_flags, 0, (size_t)length * sizeof(uint16_t));
        for (Py_ssize_t i = 0; i < u; i++) {
            out_keys[order[i]] = tmp[i];
            out_flags[order[i]] = merged[i];
        }
        out_keys = NULL; /* owned by the bytes objects */
        out_flags = NULL;
        result = Py_BuildValue("(NNi)", b_keys, b_flags, bits);
    }
done:
    PyMem_Free(mixed);
    PyMem_Free(tmp);
    PyMem_Free(order);
    PyMem_Free(tmp_order);
    PyMem_Free(out_keys);
    PyMem_Free(out_flags);
    if (bk.obj)
        PyBuffer_Release(&bk);
    if (bf.obj)
        PyBuffer_Release(&bf);
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
tag_sentences(const uint32_t *rows, Py_ssize_t n, Py_ssize_t F, const int8_t *w, Py_ssize_t C,
              Py_ssize_t safe, const int8_t *tail, const int32_t *tr, const int64_t *bounds,
              Py_ssize_t m, uint8_t *back, uint8_t *out)
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
                    PREFETCH(w + (Py_ssize_t)ahead[f] * C);
            }
            for (int k = 0; k < K; k++)
                acc[k] = 0;
            for (Py_ssize_t f = 0; f < F; f++) {
                /* K bytes from the row's start: the columns past C belong to the next
                 * row (padding tags, never chosen); the last rows, whose K bytes would
                 * run past the weights, are read from a padded copy. */
                const Py_ssize_t at = (Py_ssize_t)r[f];
                const int8_t *row = at < safe ? w + at * C : tail + (at - safe) * K;
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
 * template its length then (column, offset) pairs; weights int8 (2**bits, C), C <= K tags
 * (read K bytes a row: see tag_sentences); transitions
 * int32 (K + 1, K) (row K: at a sentence start), K = TAG_WIDTH, the tags padded (see
 * tieng.tagging.TaggerModel.padded); bounds int64 (sentences + 1); out uint8. */
#define TAG_M1 0x9E3779B97F4A7C15ULL
#define TAG_M2 0xC2B2AE3D27D4EB4FULL
#define MAX_TAG_TEMPLATES 256
/* The checks, feature hashes and Viterbi search of viterbi() on plain arrays: values
 * (V rows of A attributes, the padded words), pos (n words), the program (P ints), weights
 * w, transitions tr, bounds (m sentences + 1), out (n tags).  0, or -1 with an exception. */
static int
viterbi_core(const uint64_t *values, Py_ssize_t V, Py_ssize_t A, const int64_t *pos,
             Py_ssize_t n, const int32_t *prog, Py_ssize_t P, int bits, const int8_t *w,
             Py_ssize_t C, const int32_t *tr, const int64_t *bounds, Py_ssize_t m, uint8_t *out)
{
    enum { K = TAG_WIDTH };
    uint8_t *back = NULL;
    uint32_t *rows = NULL;
    /* Rows of C <= K tags; the last T rows are copied, padded to K (see tag_sentences). */
    const Py_ssize_t R = (Py_ssize_t)1 << bits;
    const Py_ssize_t T = (K + C - 1) / C - 1 < R ? (K + C - 1) / C - 1 : R, safe = R - T;
    int8_t tail[K * K] = {0};
    for (Py_ssize_t t = 0; t < T; t++)
        memcpy(tail + t * K, w + (safe + t) * C, (size_t)C);
    /* Check the program and count the templates; every offset must stay inside values. */
    Py_ssize_t F = 0;
    int32_t lo = 0, hi = 0;
    for (Py_ssize_t j = 0; j < P; F++) {
        const int32_t len = prog[j++];
        if (len < 0 || j + 2 * len > P || F >= MAX_TAG_TEMPLATES) {
            PyErr_SetString(PyExc_ValueError, "viterbi: a malformed template program");
            goto fail;
        }
        for (int32_t q = 0; q < len; q++, j += 2) {
            if (prog[j] < 0 || prog[j] >= A) {
                PyErr_SetString(PyExc_ValueError, "viterbi: a template reads no attribute");
                goto fail;
            }
            lo = prog[j + 1] < lo ? prog[j + 1] : lo;
            hi = prog[j + 1] > hi ? prog[j + 1] : hi;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (pos[i] + lo < 0 || pos[i] + hi >= V) {
            PyErr_SetString(PyExc_ValueError, "viterbi: a word's window outside the values");
            goto fail;
        }
    for (Py_ssize_t s = 0; s < m; s++)
        if (bounds[s] < 0 || bounds[s + 1] < bounds[s] || bounds[s + 1] > n) {
            PyErr_SetString(PyExc_ValueError, "viterbi: sentence bounds outside the words");
            goto fail;
        }
    rows = PyMem_Malloc(n * F > 0 ? n * F * sizeof(uint32_t) : 1);
    back = PyMem_Malloc(n > 0 ? n * K : 1);
    if (!rows || !back) {
        PyErr_NoMemory();
        goto fail;
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
    tag_sentences(rows, n, F, w, C, safe, tail, tr, bounds, m, back, out);
    Py_END_ALLOW_THREADS
    PyMem_Free(rows);
    PyMem_Free(back);
    return 0;
fail:
    PyMem_Free(rows);
    PyMem_Free(back);
    return -1;
}

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
    const Py_ssize_t R = b_w.shape[0], C = b_w.shape[1], K = TAG_WIDTH;
    const Py_ssize_t V = b_values.shape[0], A = b_values.shape[1];
    const Py_ssize_t n = b_pos.len / 8, m = b_bounds.len / 8 - 1, P = b_prog.len / 4;
    if (C < 1 || C > K || b_t.shape[0] != K + 1 || b_t.shape[1] != K || b_out.len != n ||
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
    if (viterbi_core(values, V, A, pos, n, prog, P, bits, w, C, tr, bounds, m, out) < 0)
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_buffer *all[] = {&b_values, &b_pos, &b_prog, &b_w, &b_t, &b_bounds, &b_out};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return result;
}

/* tag_rows(attrs, rows, program, bits, weights, transitions, window, shape_col, shapes)
 *   -> bytes: the tags of one sentence whose words' attribute rows are attrs[rows[i]], as
 * tieng.tagging.Tagger._decode gives them for one sentence: the words of a sentence in
 * capitals read as sentence case (tagging._uncap; shapes: the WordShape codes LOWER, TITLE,
 * UPPER, MIXED), ``window`` sentinel rows on each side (tagging.padded), then viterbi(). */
static PyObject *
tag_rows(PyObject *self, PyObject *args)
{
    PyObject *o_attrs, *o_rows, *o_prog, *o_w, *o_t;
    int bits, window, shape_col, lower, title, upper, mixed;
    if (!PyArg_ParseTuple(args, "OOOiOOii(iiii)", &o_attrs, &o_rows, &o_prog, &bits, &o_w, &o_t,
                          &window, &shape_col, &lower, &title, &upper, &mixed))
        return NULL;
    Py_buffer b_attrs = {0}, b_rows = {0}, b_prog = {0}, b_w = {0}, b_t = {0};
    PyObject *result = NULL;
    uint64_t *values = NULL;
    int64_t *pos = NULL;
    if (get_buffer(o_attrs, &b_attrs, 8, 0, "attrs") < 0 ||
        get_buffer(o_rows, &b_rows, 8, 0, "rows") < 0 ||
        get_buffer(o_prog, &b_prog, 4, 0, "program") < 0 ||
        get_buffer(o_w, &b_w, 1, 0, "weights") < 0 ||
        get_buffer(o_t, &b_t, 4, 0, "transitions") < 0)
        goto done;
    if (b_attrs.ndim != 2 || b_w.ndim != 2 || b_t.ndim != 2) {
        PyErr_SetString(PyExc_ValueError, "tag_rows: attrs, weights and transitions are 2-d");
        goto done;
    }
    const Py_ssize_t R = b_w.shape[0], C = b_w.shape[1], K = TAG_WIDTH;
    const Py_ssize_t N = b_attrs.shape[0], A = b_attrs.shape[1], n = b_rows.len / 8;
    if (C < 1 || C > K || b_t.shape[0] != K + 1 || b_t.shape[1] != K || bits < 1 ||
        bits > 31 || R != ((Py_ssize_t)1 << bits) || window < 0 || window > 64 ||
        shape_col < 0 || shape_col >= A) {
        PyErr_SetString(PyExc_ValueError, "tag_rows: arrays of mismatched shapes");
        goto done;
    }
    const int64_t *attrs = b_attrs.buf, *rows = b_rows.buf;
    for (Py_ssize_t i = 0; i < n; i++)
        if (rows[i] < 0 || rows[i] >= N) {
            PyErr_SetString(PyExc_ValueError, "tag_rows: a row outside the attributes");
            goto done;
        }
    const Py_ssize_t V = n + 2 * window;
    values = PyMem_Malloc((size_t)(V * A + 1) * sizeof(uint64_t));
    pos = PyMem_Malloc((size_t)(n + 1) * sizeof(int64_t));
    result = PyBytes_FromStringAndSize(NULL, n);
    if (values == NULL || pos == NULL || result == NULL) {
        if (result == NULL && !PyErr_Occurred())
            PyErr_NoMemory();
        else if (result != NULL) {
            Py_CLEAR(result);
            PyErr_NoMemory();
        }
        goto done;
    }
    for (Py_ssize_t j = 0; j < window * A; j++) {
        values[j] = (uint64_t)(int64_t)-1;                   /* tagging._BOS */
        values[(window + n) * A + j] = (uint64_t)(int64_t)-2; /* tagging._EOS */
    }
    Py_ssize_t n_upper = 0, n_letters = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        memcpy(values + (window + i) * A, attrs + rows[i] * A, (size_t)A * sizeof(uint64_t));
        const int64_t sh = attrs[rows[i] * A + shape_col];
        n_upper += sh == upper;
        n_letters += sh >= lower && sh <= mixed;
        pos[i] = window + i;
    }
    if (IN_CAPITALS(n_letters, n_upper)) { /* tagging._uncap */
        for (Py_ssize_t i = 0; i < n; i++) {
            uint64_t *sh = &values[(window + i) * A + shape_col];
            const int64_t was = (int64_t)*sh;
            if (was >= lower && was <= mixed)
                *sh = (uint64_t)(i == 0 ? title : lower);
        }
    }
    const int64_t bounds[2] = {0, n};
    if (viterbi_core(values, V, A, pos, n, b_prog.buf, b_prog.len / 4, bits, b_w.buf, C,
                     b_t.buf, bounds, n > 0 ? 1 : 0, (uint8_t *)PyBytes_AS_STRING(result)) < 0)
        Py_CLEAR(result);
done:
    PyMem_Free(values);
    PyMem_Free(pos);
    Py_buffer *all[] = {&b_attrs, &b_rows, &b_prog, &b_w, &b_t};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return result;
}

/* with_tags(words, joined, tags, names) -> (words, tagged): the Word objects of one text with
 * their tags (names[tags[i]]) in their last field, and the underscore text ``joined`` with
 * "/" and the tag after each of its words (words run from space to space: tokens hold none),
 * as Segmented.tagged. */
static PyObject *
with_tags(PyObject *self, PyObject *args)
{
    PyObject *words, *joined, *o_tags, *names;
    if (!PyArg_ParseTuple(args, "O!UOO!:with_tags", &PyList_Type, &words, &joined, &o_tags,
                          &PyList_Type, &names))
        return NULL;
    Py_buffer b = {0};
    if (get_buffer(o_tags, &b, 1, 0, "tags") < 0)
        return NULL;
    PyObject *result = NULL, *out_words = NULL;
    Py_UCS4 *buf = NULL;
    const Py_ssize_t n = PyList_GET_SIZE(words), n_names = PyList_GET_SIZE(names);
    const uint8_t *tags = b.buf;
    if (b.len != n) {
        PyErr_SetString(PyExc_ValueError, "with_tags: one tag a word");
        goto done;
    }
    Py_ssize_t extra = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (tags[i] >= n_names || !PyUnicode_Check(PyList_GET_ITEM(names, tags[i]))) {
            PyErr_SetString(PyExc_ValueError, "with_tags: a tag without a name");
            goto done;
        }
        PyObject *w = PyList_GET_ITEM(words, i);
        if (!PyTuple_Check(w) || PyTuple_GET_SIZE(w) != 5) {
            PyErr_SetString(PyExc_TypeError, "with_tags: words are Word objects");
            goto done;
        }
        extra += 1 + PyUnicode_GET_LENGTH(PyList_GET_ITEM(names, tags[i]));
    }
    out_words = PyList_New(n);
    if (out_words == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyList_GET_ITEM(words, i);
        PyTypeObject *type = Py_TYPE(w);
        PyObject *t = type->tp_alloc(type, 5);
        if (t == NULL)
            goto done;
        for (int k = 0; k < 4; k++) {
            PyObject *v = PyTuple_GET_ITEM(w, k);
            Py_INCREF(v);
            PyTuple_SET_ITEM(t, k, v);
        }
        PyObject *name = PyList_GET_ITEM(names, tags[i]);
        Py_INCREF(name);
        PyTuple_SET_ITEM(t, 4, name);
        PyList_SET_ITEM(out_words, i, t);
    }
    const int kind = PyUnicode_KIND(joined);
    const void *data = PyUnicode_DATA(joined);
    const Py_ssize_t len = PyUnicode_GET_LENGTH(joined);
    buf = PyMem_Malloc((size_t)(len + extra + 1) * sizeof(Py_UCS4));
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t w = 0, word = 0;
    for (Py_ssize_t i = 0; i <= len; i++) {
        const Py_UCS4 ch = i < len ? PyUnicode_READ(kind, data, i) : ' ';
        if (ch == ' ' && i > 0 && word < n) { /* the end of a word */
            PyObject *name = PyList_GET_ITEM(names, tags[word++]);
            buf[w++] = '/';
            for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(name); j++)
                buf[w++] = PyUnicode_READ_CHAR(name, j);
        }
        if (i < len)
            buf[w++] = ch;
    }
    if (word != n) {
        PyErr_SetString(PyExc_ValueError, "with_tags: the text and the words disagree");
        goto done;
    }
    PyObject *tagged = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, w);
    if (tagged == NULL)
        goto done;
    result = Py_BuildValue("(ON)", out_words, tagged);
done:
    Py_XDECREF(out_words);
    PyMem_Free(buf);
    PyBuffer_Release(&b);
    return result;
}

/* spans_json(spans, tags=False) -> bytes: the JSON array [{"text":...,"start":...,"end":...},
 * ...] of a list of (text, start, end, ...) tuples (Word, Span), with "tag" (a Word's fifth
 * item) when tags is true, byte for byte what orjson.dumps gives
 * for the same list of dicts (the service's answers; tieng.server.routes._spans_json): UTF-8,
 * no spaces, '"' and '\' escaped, control characters as \b \t \n \f \r or \u00xx. */
typedef struct {
    char *buf;
    Py_ssize_t len, cap;
} JsonOut;

static int
json_reserve(JsonOut *o, Py_ssize_t more)
{
    if (o->len + more <= o->cap)
        return 0;
    Py_ssize_t cap = o->cap ? o->cap : 256;
    while (cap < o->len + more)
        cap *= 2;
    char *grown = PyMem_Realloc(o->buf, (size_t)cap);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    o->buf = grown;
    o->cap = cap;
    return 0;
}

static int
json_raw(JsonOut *o, const char *text, Py_ssize_t n)
{
    if (json_reserve(o, n) < 0)
        return -1;
    memcpy(o->buf + o->len, text, (size_t)n);
    o->len += n;
    return 0;
}

static int
json_string(JsonOut *o, PyObject *str)
{
    const Py_ssize_t n = PyUnicode_GET_LENGTH(str);
    const int kind = PyUnicode_KIND(str);
    const void *data = PyUnicode_DATA(str);
    if (json_reserve(o, 6 * n + 2) < 0) /* the longest: \u00xx for each character */
        return -1;
    char *w = o->buf + o->len;
    *w++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 0x80) {
            if (c == '"' || c == '\\') {
                *w++ = '\\';
                *w++ = (char)c;
            }
            else if (c >= 0x20)
                *w++ = (char)c;
            else {
                const char *brief = c == '\b' ? "b" : c == '\t' ? "t" : c == '\n' ? "n"
                                  : c == '\f' ? "f" : c == '\r' ? "r" : NULL;
                *w++ = '\\';
                if (brief)
                    *w++ = brief[0];
                else {
                    static const char hex[] = "0123456789abcdef";
                    memcpy(w, "u00", 3);
                    w += 3;
                    *w++ = hex[c >> 4];
                    *w++ = hex[c & 15];
                }
            }
        }
        else if (c < 0x800) {
            *w++ = (char)(0xC0 | (c >> 6));
            *w++ = (char)(0x80 | (c & 0x3F));
        }
        else if (c >= 0xD800 && c <= 0xDFFF) {
            PyErr_SetString(PyExc_ValueError, "spans_json: a lone surrogate is not UTF-8");
            return -1;
        }
        else if (c < 0x10000) {
            *w++ = (char)(0xE0 | (c >> 12));
            *w++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *w++ = (char)(0x80 | (c & 0x3F));
        }
        else {
            *w++ = (char)(0xF0 | (c >> 18));
            *w++ = (char)(0x80 | ((c >> 12) & 0x3F));
            *w++ = (char)(0x80 | ((c >> 6) & 0x3F));
            *w++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *w++ = '"';
    o->len = w - o->buf;
    return 0;
}

static int
json_int(JsonOut *o, PyObject *v)
{
    const long long x = PyLong_AsLongLong(v);
    if (x == -1 && PyErr_Occurred())
        return -1;
    /* (By hand: snprintf was a third of the time of a batch's words.) */
    char tmp[24];
    int k = sizeof tmp;
    unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
    do {
        tmp[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        tmp[--k] = '-';
    return json_raw(o, tmp + k, (Py_ssize_t)sizeof tmp - k);
}

static PyObject *
spans_json(PyObject *self, PyObject *args)
{
    PyObject *arg;
    int with_tags = 0;
    if (!PyArg_ParseTuple(args, "O|p", &arg, &with_tags))
        return NULL;
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "spans_json: a list of (text, start, end, ...) tuples");
        return NULL;
    }
    JsonOut o = {NULL, 0, 0};
    PyObject *result = NULL;
    const Py_ssize_t n = PyList_GET_SIZE(arg);
    if (json_raw(&o, "[", 1) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(arg, i);
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) < (with_tags ? 5 : 3) ||
            !PyUnicode_Check(PyTuple_GET_ITEM(item, 0)) ||
            !PyLong_Check(PyTuple_GET_ITEM(item, 1)) || !PyLong_Check(PyTuple_GET_ITEM(item, 2))) {
            PyErr_SetString(PyExc_TypeError,
                            "spans_json: a list of (text, start, end, ...) tuples");
            goto done;
        }
        if (json_raw(&o, i ? ",{\"text\":" : "{\"text\":", i ? 9 : 8) < 0 ||
            json_string(&o, PyTuple_GET_ITEM(item, 0)) < 0 ||
            json_raw(&o, ",\"start\":", 9) < 0 || json_int(&o, PyTuple_GET_ITEM(item, 1)) < 0 ||
            json_raw(&o, ",\"end\":", 7) < 0 || json_int(&o, PyTuple_GET_ITEM(item, 2)) < 0)
            goto done;
        if (with_tags) { /* (text, start, end, confidence, tag): the tag, a str or None */
            PyObject *tag = PyTuple_GET_ITEM(item, 4);
            if (json_raw(&o, ",\"tag\":", 7) < 0)
                goto done;
            if (tag == Py_None) {
                if (json_raw(&o, "null", 4) < 0)
                    goto done;
            }
            else if (!PyUnicode_Check(tag)) {
                PyErr_SetString(PyExc_TypeError, "spans_json: a tag is a str or None");
                goto done;
            }
            else if (json_string(&o, tag) < 0)
                goto done;
        }
        if (json_raw(&o, "}", 1) < 0)
            goto done;
    }
    if (json_raw(&o, "]", 1) < 0)
        goto done;
    result = PyBytes_FromStringAndSize(o.buf, o.len);
done:
    PyMem_Free(o.buf);
    return result;
}

/* make_words(cls, big, big_starts, big_ends, starts, ends, confidences, tags) -> list: the
 * words of a batch, the twin of tieng.results.results_of's map over tuple.__new__: for each
 * i, cls(big[big_starts[i]:big_ends[i]], starts[i], ends[i], confidences[i], tags[i]), cls a
 * tuple subclass of five fields (Word); the offsets int64 arrays, confidences and tags lists
 * of the same length, or None (None for every word). */
static PyObject *
make_words(PyObject *self, PyObject *args)
{
    PyObject *cls, *big, *o_bs, *o_be, *o_s, *o_e, *conf, *tags;
    if (!PyArg_ParseTuple(args, "OUOOOOOO", &cls, &big, &o_bs, &o_be, &o_s, &o_e, &conf, &tags))
        return NULL;
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "make_words: cls must be a tuple subclass");
        return NULL;
    }
    Py_buffer b_bs = {0}, b_be = {0}, b_s = {0}, b_e = {0};
    PyObject *out = NULL;
    if (get_buffer(o_bs, &b_bs, 8, 0, "big_starts") < 0 ||
        get_buffer(o_be, &b_be, 8, 0, "big_ends") < 0 ||
        get_buffer(o_s, &b_s, 8, 0, "starts") < 0 || get_buffer(o_e, &b_e, 8, 0, "ends") < 0)
        goto done;
    const Py_ssize_t n = b_bs.len / 8, L = PyUnicode_GET_LENGTH(big);
    if (b_be.len / 8 != n || b_s.len / 8 != n || b_e.len / 8 != n ||
        (conf != Py_None && (!PyList_Check(conf) || PyList_GET_SIZE(conf) != n)) ||
        (tags != Py_None && (!PyList_Check(tags) || PyList_GET_SIZE(tags) != n))) {
        PyErr_SetString(PyExc_ValueError, "make_words: arrays and lists of mismatched lengths");
        goto done;
    }
    const int64_t *bs = b_bs.buf, *be = b_be.buf, *st = b_s.buf, *en = b_e.buf;
    out = PyList_New(n);
    if (out == NULL)
        goto done;
    PyTypeObject *type = (PyTypeObject *)cls;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (bs[i] < 0 || be[i] < bs[i] || be[i] > L) {
            PyErr_SetString(PyExc_ValueError, "make_words: a word outside the text");
            Py_CLEAR(out);
            goto done;
        }
        PyObject *w = type->tp_alloc(type, 5);
        if (w == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, i, w);
        PyObject *text = PyUnicode_Substring(big, bs[i], be[i]);
        PyObject *a = PyLong_FromLongLong(st[i]), *b = PyLong_FromLongLong(en[i]);
        PyTuple_SET_ITEM(w, 0, text);
        PyTuple_SET_ITEM(w, 1, a);
        PyTuple_SET_ITEM(w, 2, b);
        PyTuple_SET_ITEM(w, 3, Py_NewRef(conf == Py_None ? Py_None : PyList_GET_ITEM(conf, i)));
        PyTuple_SET_ITEM(w, 4, Py_NewRef(tags == Py_None ? Py_None : PyList_GET_ITEM(tags, i)));
        if (text == NULL || a == NULL || b == NULL) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    Py_buffer *all[] = {&b_bs, &b_be, &b_s, &b_e};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return out;
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
    {"make_words", make_words, METH_VARARGS,
     "The Word objects of a batch from its offsets (see tieng.results.results_of)."},
    {"spans_json", spans_json, METH_VARARGS,
     "The JSON array of a list of (text, start, end, ...) tuples (with tags: the fifth item), "
     "as orjson writes it."},
    {"widen_halves", widen_halves, METH_VARARGS,
     "float32 values of float16 ones, through a lookup table (see ScoreTables)."},
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
        PyModule_AddIntConstant(m, "SHAPE_COUNTRY", SHAPE_COUNTRY) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
