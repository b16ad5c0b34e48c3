/* scores.c: features and scores: the words a lexicon or a word list finds around each
 * gap, the scorer (Scorer), the tables of small-domain templates (table_weights,
 * widen_codes) and the span tables (span_keys, span_table).
 *
 * Part of the one extension tieng._speedups: _speedups.c includes the files of csrc/ in
 * order (common.h, scan.c, scores.c, writers.c, decoders.c), one translation unit, so their
 * functions stay static.  Not compiled on its own. */

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

/* The hashed weights: float32, or codes (8 or 16 bits) that index ``lut``: the float16
 * value of every bit pattern (65,536 floats) or the codebook of 8-bit weights (256). */
typedef struct {
    int size; /* bytes a weight: 1, 2 or 4 */
    const void *w;
    const float *lut;
} wtable_t;

static inline float
weight_at(const wtable_t *t, int64_t i)
{
    if (t->size == 2)
        return t->lut[((const uint16_t *)t->w)[i]];
    if (t->size == 1)
        return t->lut[((const uint8_t *)t->w)[i]];
    return ((const float *)t->w)[i];
}

/* t from the buffers of the weights and their lut, checked: 2**hash_bits weights of 1, 2 or
 * 4 bytes, and a lut as long as their codes need.  0, or -1 with an exception set. */
static int
wtable_from(const Py_buffer *w, const Py_buffer *lut, int hash_bits, const char *who,
            wtable_t *t)
{
    const Py_ssize_t size = w->itemsize;
    if ((size != 1 && size != 2 && size != 4) || w->len / size != ((Py_ssize_t)1 << hash_bits) ||
        lut->len != 4 * (size == 1 ? 256 : 65536)) {
        PyErr_Format(PyExc_ValueError, "%s: arrays of inconsistent sizes", who);
        return -1;
    }
    t->size = (int)size;
    t->w = w->buf;
    t->lut = (const float *)lut->buf;
    return 0;
}

/* The scorer's settings, read once from the Python objects (features.ScoreTables's program,
 * the lexicon's and the word lists' span tables, the weights); the buffers they point into
 * are held in score_bufs until released. */
typedef struct {
    int n_tpl;
    template_t tpl[MAX_TEMPLATES];
    spantable_t lexicon, lists;
    int n_lists, max_word, hash_bits, have_cls;
    wtable_t weights;
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

/* Fills c from the arguments of Scorer (see below), which do not change from call to call;
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
    if (get_buffer(o_lut, &b->lut, 4, 0, "lut") < 0 ||
        wtable_from(&b->weights, &b->lut, hash_bits, "Scorer", &c->weights) < 0)
        return -1;
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

/* The feature values (sources) of the gap after token g: ids, shapes and classes around it,
 * packed shapes, what the lexicon's spans (sp, the gap's) and each word list's (lsp[e *
 * width], the gap's) say of it. */
static inline void
gap_values(uint64_t *v, const int64_t *ids, const int64_t *shapes, const int64_t *cls,
           Py_ssize_t g, const span_t *sp, const span_t *lsp, Py_ssize_t width, int n_lists)
{
    for (int o = -2; o <= 3; o++) {
        v[SRC_ID + o + 2] = (uint64_t)ids[g + o];
        v[SRC_SHAPE + o + 2] = (uint64_t)shapes[g + o];
        v[SRC_CLASS + o + 2] = cls ? (uint64_t)cls[g + o] : 0;
    }
    const uint64_t *sh = &v[SRC_SHAPE + 2]; /* sh[o] for o in -2..3 */
    v[SRC_PACKED2] = sh[0] * SHAPE_COUNT + sh[1];
    v[SRC_PACKED4] = ((sh[-1] * SHAPE_COUNT + sh[0]) * SHAPE_COUNT + sh[1]) * SHAPE_COUNT + sh[2];
    uint64_t p6 = 0;
    for (int o = -2; o <= 3; o++)
        p6 = p6 * SHAPE_COUNT + sh[o];
    v[SRC_PACKED6] = p6;
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
        const span_t *ls = &lsp[e * width];
        const uint64_t l_mask = ls->mask, l_longer = ls->longer;
        const uint64_t l_bigram = (l_mask >> 9) & 1u;
        const uint64_t l_cover = (l_mask | l_longer) != 0;
        lv[0] = l_mask;
        lv[1] = l_longer;
        lv[2] = ls->end ? ls->end : 1;
        lv[3] = ls[1].start ? ls[1].start : 1;
        lv[4] = ((uint64_t)((ls[-1].mask >> 9) & 1u) << 2) | (l_bigram << 1) |
                ((ls[1].mask >> 9) & 1u);
        lv[5] = (l_cover << 3) | ((uint64_t)((mask | longer) != 0) << 2) | (l_bigram << 1) |
                bigram;
        /* what the list says of the gap: covers it, a two-syllable entry over it */
        lv[6] = (l_cover << 1) | l_bigram;
    }
}

/* Every template's index for the values v (into its table, or into the hashed weights),
 * each fetched ahead (PREFETCH).  1 when a table index falls outside its table (a malformed
 * program; 0 is used instead), else 0. */
static inline int
gap_slots(const score_cfg *c, const uint64_t *v, int64_t *idx_of)
{
    int bad_index = 0;
    const char *wbytes = (const char *)c->weights.w;
    for (int t = 0; t < c->n_tpl; t++) {
        const template_t *T = &c->tpl[t];
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
            const int64_t idx = (int64_t)((h * M3) >> (64 - c->hash_bits));
            PREFETCH(wbytes + idx * c->weights.size);
            idx_of[t] = idx;
        }
    }
    return bad_index;
}

/* The sum of the weights of every feature at each gap ``where`` (positions in the padded
 * arrays ids, shapes, cls of n items, increasing, each at least 3 from either end), into
 * out.  Needs no Python object (it could run with other threads let in).  Returns 0, or
 * -1 when a feature value lies outside its table (a malformed program). */
static int
score_core(const score_cfg *c, const int64_t *ids, const int64_t *shapes, const int64_t *cls,
           Py_ssize_t n, const int64_t *where, Py_ssize_t n_gaps, float *out,
           score_scratch *scratch)
{
    const int max_word = c->max_word;
    const int n_lists = c->n_lists, n_tpl = c->n_tpl;
    const template_t *tpl = c->tpl;
    const Py_ssize_t width = scratch->width;
    uint32_t *known = scratch->known, *lknown = known + width;
    span_t *spans = scratch->spans, *lspans = spans + width;
    const wtable_t *weights = &c->weights;
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
                gap_values(v, ids, shapes, cls, g, &spans[at], lspans + at, width, n_lists);
                bad_index |= gap_slots(c, v, idx_of);
            }
            for (Py_ssize_t i = i0; i < i1; i++) {
                const int64_t *idx_of = slot[i - i0];
                float total = 0.0f;
                for (int t = 0; t < n_tpl; t++) {
                    const template_t *T = &tpl[t];
                    if (T->table != NULL)
                        total += T->table[idx_of[t]];
                    else
                        total += weight_at(weights, idx_of[t]);
                }
                out[i] = total;
            }
        }
    }
    return bad_index ? -1 : 0;
}

/* Scores the gaps of padded arrays with a parsed scorer, the arguments of Scorer.score
 * checked. */
static PyObject *
score_arrays(const score_cfg *c, PyObject *o_pid, PyObject *o_psh, PyObject *o_pcls,
             PyObject *o_where, PyObject *o_out)
{
    Py_buffer b_pid = {0}, b_psh = {0}, b_pcls = {0}, b_where = {0}, b_out = {0};
    PyObject *result = NULL;
    const int have_cls = o_pcls != Py_None;
    score_scratch scratch = {NULL, NULL, 0};
    if (have_cls != c->have_cls) {
        PyErr_SetString(PyExc_ValueError, "Scorer: classes given to a scorer without "
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
        PyErr_SetString(PyExc_ValueError, "Scorer: arrays of inconsistent sizes");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n_gaps; i++) {
        if (where[i] < 3 || where[i] + 3 >= n) {
            PyErr_SetString(PyExc_ValueError, "Scorer: a gap too close to the array ends");
            goto done;
        }
        if (i > 0 && where[i] <= where[i - 1]) {
            PyErr_SetString(PyExc_ValueError, "Scorer: gaps out of order");
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
        PyErr_SetString(PyExc_IndexError, "Scorer: a feature value lies outside its table");
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

/* Scorer(lexicon, max_word, hash_bits, weights, lut, program, lists, classes):
 * lexicon: the training lexicon's features.SpanTable as (keys, flags, bits); lists: None, or
 * the outside word lists of features.FeatureSpec.lists as the table of one features.WordLists
 * and the number of lists: (keys, flags, bits, count).  The settings are read once and kept
 * (with the arrays they point into) for a model's whole life; ``classes`` says whether the
 * program has class templates.
 * Scorer.score(pid, psh, pcls, where, out): the scores of the gaps ``where`` of the padded
 * ids, shapes and classes (None without classes), written into out.  Immutable: safe to
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
    static char *names[] = {"lexicon", "max_word", "hash_bits", "weights", "lut",
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
     "score(pid, psh, pcls, where, out): the gaps' scores, into out."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "tieng._speedups.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A model's scoring settings, read once (see features.ScoreTables).",
    .tp_new = Scorer_new,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

/* ------------------------------------------------------------------------------------------
 * tie_gaps(scores, ids, flags): the gaps on both sides of an unglued syllable decided
 * together, in place (the twin of _pure.tie_gaps, which says how): each run of gaps linked
 * through tokens whose flags have FLAG_UNGLUED gets the sum of their scores, added left to
 * right in float32; -inf when the run starts at an unglued first token.
 */
static void
tie_core(float *scores, const int64_t *ids, Py_ssize_t n, const uint8_t *flags, Py_ssize_t n_flags)
{
#define UNGLUED_AT(i) (ids[i] >= 0 && ids[i] < n_flags && (flags[ids[i]] & FLAG_UNGLUED))
    Py_ssize_t a = 0;
    while (a < n) {
        Py_ssize_t b = a + 1;
        while (b < n && UNGLUED_AT(b))
            b++;
        const int dead = a == 0 && UNGLUED_AT(0);
        if (b - a > 1 || dead) {
            float total = dead ? -HUGE_VALF : 0.0f;
            for (Py_ssize_t j = a; j < b; j++)
                total += scores[j];
            for (Py_ssize_t j = a; j < b; j++)
                scores[j] = total;
        }
        a = b;
    }
#undef UNGLUED_AT
}

static PyObject *
tie_gaps(PyObject *self, PyObject *args)
{
    PyObject *o_scores, *o_ids, *o_flags;
    if (!PyArg_ParseTuple(args, "OOO", &o_scores, &o_ids, &o_flags))
        return NULL;
    Py_buffer b_scores = {0}, b_ids = {0}, b_flags = {0};
    PyObject *result = NULL;
    if (get_buffer(o_scores, &b_scores, 4, 1, "scores") < 0 ||
        get_buffer(o_ids, &b_ids, 8, 0, "ids") < 0 || get_buffer(o_flags, &b_flags, 1, 0, "flags") < 0)
        goto done;
    if (b_ids.len / 8 != b_scores.len / 4) {
        PyErr_SetString(PyExc_ValueError, "tie_gaps: one id a score");
        goto done;
    }
    tie_core((float *)b_scores.buf, (const int64_t *)b_ids.buf, b_scores.len / 4,
             (const uint8_t *)b_flags.buf, b_flags.len);
    result = Py_NewRef(Py_None);
done:
    Py_buffer *all[] = {&b_scores, &b_ids, &b_flags};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return result;
}


/* ------------------------------------------------------------------------------------------
 * widen_codes(codes, lut, out): out[i] = lut[codes[i]]: the float16 values (as uint16 bits)
 * or the 8-bit codes of the score tables a model file stores, made float32.
 */
static PyObject *
widen_codes(PyObject *self, PyObject *args)
{
    PyObject *o_in, *o_lut, *o_out;
    if (!PyArg_ParseTuple(args, "OOO", &o_in, &o_lut, &o_out))
        return NULL;
    Py_buffer b_in = {0}, b_lut = {0}, b_out = {0};
    PyObject *result = NULL;
    if (PyObject_GetBuffer(o_in, &b_in, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0 ||
        get_buffer(o_lut, &b_lut, 4, 0, "lut") < 0 || get_buffer(o_out, &b_out, 4, 1, "out") < 0)
        goto done;
    const Py_ssize_t size = b_in.itemsize, n = b_in.len / (size ? size : 1);
    if ((size != 1 && size != 2) || b_out.len / 4 != n ||
        b_lut.len != 4 * (size == 1 ? 256 : 65536)) {
        PyErr_SetString(PyExc_ValueError, "widen_codes: arrays of inconsistent sizes");
        goto done;
    }
    const float *lut = (const float *)b_lut.buf;
    float *out = (float *)b_out.buf;
    if (size == 1) {
        const uint8_t *in = (const uint8_t *)b_in.buf;
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = lut[in[i]];
    }
    else {
        const uint16_t *in = (const uint16_t *)b_in.buf;
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = lut[in[i]];
    }
    result = Py_NewRef(Py_None);
done:
    Py_buffer *all[] = {&b_in, &b_lut, &b_out};
    for (size_t j = 0; j < sizeof all / sizeof *all; j++)
        if (all[j]->obj)
            PyBuffer_Release(all[j]);
    return result;
}


/* ------------------------------------------------------------------------------------------
 * table_weights(template, domain, hash_bits, weights, lut, out): the weight of every
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
    if (get_buffer(o_lut, &b_lut, 4, 0, "lut") < 0) {
        PyBuffer_Release(&b_weights);
        return NULL;
    }
    if (get_buffer(o_out, &b_out, 4, 1, "out") < 0) {
        PyBuffer_Release(&b_weights);
        PyBuffer_Release(&b_lut);
        return NULL;
    }
    PyObject *result = NULL;
    wtable_t weights;
    if (wtable_from(&b_weights, &b_lut, hash_bits, "table_weights", &weights) < 0)
        goto done;
    if (b_out.len / 4 != total) {
        PyErr_SetString(PyExc_ValueError, "table_weights: arrays of inconsistent sizes");
        goto done;
    }
    const uint64_t seed = (uint64_t)(template_index + 1) * M1;
    const char *wbytes = (const char *)weights.w;
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
            PREFETCH(wbytes + idx[f - f0] * weights.size);
            for (Py_ssize_t j = k - 1; j >= 0; j--) { /* next value, C order */
                if (++value[j] < (uint64_t)dom[j])
                    break;
                value[j] = 0;
            }
        }
        for (Py_ssize_t f = f0; f < f1; f++)
            out[f] = weight_at(&weights, (int64_t)idx[f - f0]);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&b_weights);
    PyBuffer_Release(&b_lut);
    PyBuffer_Release(&b_out);
    return result;
}

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

/* Sort the n mixed keys, order[] along, by the mixed key: one pass by the top 16 bits into
 * buckets (the keys are hashes, spread evenly: a few a bucket), then each bucket by the whole
 * key (insertion sort, or qsort for a long run).  The arrays trade places with their scratch
 * twins (*p_tmp, *p_tmp_order) on the way.  0, or -1 with MemoryError set. */
static int
sort_by_mixed(uint64_t **p_mixed, uint64_t **p_tmp, uint32_t **p_order, uint32_t **p_tmp_order,
              Py_ssize_t n)
{
    Py_ssize_t *count = PyMem_Calloc((size_t)1 << 16, sizeof(Py_ssize_t));
    if (count == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    const uint64_t *in = *p_mixed;
    const uint32_t *in_order = *p_order;
    uint64_t *mixed = *p_tmp;
    uint32_t *order = *p_tmp_order;
    for (Py_ssize_t i = 0; i < n; i++)
        count[in[i] >> 48]++;
    Py_ssize_t sum = 0;
    for (Py_ssize_t d = 0; d < ((Py_ssize_t)1 << 16); d++) {
        const Py_ssize_t c = count[d];
        count[d] = sum;
        sum += c;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const Py_ssize_t at = count[in[i] >> 48]++;
        mixed[at] = in[i];
        order[at] = in_order[i];
    }
    PyMem_Free(count);
    *p_tmp = *p_mixed; /* the scratch twins trade places */
    *p_tmp_order = *p_order;
    *p_mixed = mixed;
    *p_order = order;
    for (Py_ssize_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && (mixed[hi] >> 48) == (mixed[lo] >> 48); hi++)
            ;
        if (hi - lo > 32) {
            span_pair *pairs = PyMem_Malloc((size_t)(hi - lo) * sizeof(span_pair));
            if (pairs == NULL) {
                PyErr_NoMemory();
                return -1;
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
    return 0;
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
    if (sort_by_mixed(&mixed, &tmp, &order, &tmp_order, n) < 0)
        goto done;
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
