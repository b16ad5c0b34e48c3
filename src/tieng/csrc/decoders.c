/* decoders.c: the decoders: Line (one text of one line scanned, scored and joined in one
 * call) and the part-of-speech decoder (viterbi for a batch, tag_rows for one sentence).
 *
 * Part of the one extension tieng._speedups: _speedups.c includes the files of csrc/ in
 * order (common.h, scan.c, scores.c, writers.c, decoders.c), one translation unit, so their
 * functions stay static.  Not compiled on its own. */

/* ------------------------------------------------------------------------------------------
 * Line: one text in, one result out, for callers that segment a text at a time.  What the
 * batch path does with numpy over many texts (tokenize, look codes up, pad, find the gaps,
 * read ALL-CAPS sentences as sentence case, score, join), done for one text in one call,
 * with scratch memory sized for the call.  Only a text of one line of at most ``window``
 * characters takes it; for any other, run() gives None and the caller takes the batch path.
 *
 * Line(scorer, table, compute, findall, pretokenized, spaces, breaks, trailing, leading,
 *      plain_before_dot, context, classes, bias, joinable, word, window, flags)
 *   scorer: the model's Scorer; table, compute: the vocabulary's CodeTable and its function
 *   (as codes_of_spans); findall .. context: as scan_chunks; classes: the syllable class of
 *   each vocabulary id (int64) or None; bias: the model's; joinable: 16 bytes, features.
 *   JOINABLE; word: the Word class (a tuple subclass); flags: the model's syllable flags (one
 *   byte a vocabulary id: features.SyllableFlag) or None.
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
    Py_buffer flags;   /* obj NULL: no syllable flags */
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
    if (l->flags.obj != NULL)
        PyBuffer_Release(&l->flags);
    Py_TYPE(l)->tp_free((PyObject *)l);
}

static PyObject *
Line_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *scorer, *table, *compute, *findall, *spaces, *breaks, *trailing, *leading;
    PyObject *plain, *o_classes, *o_joinable, *word, *o_flags;
    int pretokenized;
    Py_ssize_t context, window;
    double bias;
    if (!PyArg_ParseTuple(args, "O!O!OOpUUUUOnOdOOnO:Line", &ScorerType, &scorer,
                          &CodeTableType, &table, &compute, &findall, &pretokenized, &spaces,
                          &breaks, &trailing, &leading, &plain, &context, &o_classes, &bias,
                          &o_joinable, &word, &window, &o_flags))
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
    if (o_flags != Py_None && get_buffer(o_flags, &l->flags, 1, 0, "flags") < 0)
        goto fail;
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

/* The flags of vocabulary id ``id`` (0 past the array, or without flags). */
static inline uint8_t
flags_of(const uint8_t *flags, Py_ssize_t n_flags, int64_t id)
{
    return flags != NULL && id >= 0 && id < n_flags ? flags[id] : 0;
}

/* The padded ids and shapes of a line's tokens (codes as the vocabulary gives them), a line
 * in capitals or in Title Case read as if written in sentence case, and the two rules of the
 * syllable flags (``flags``: NULL for none): an opener after the end of a sentence in lower
 * case, a person's name in such a line in Title (model._uncap).  ``name``: n bytes of room. */
static void
line_pad(const int64_t *codes, Py_ssize_t n, int64_t *pid, int64_t *psh, const uint8_t *flags,
         Py_ssize_t n_flags, unsigned char *name)
{
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
    int64_t *id = pid + PAD_TOKENS, *sh = psh + PAD_TOKENS;
    if (!IN_CAPITALS(n_letters, n_upper) && !IN_TITLE_CASE(n_letters, n_upper, n_title)) {
        for (Py_ssize_t i = 1; flags != NULL && i < n; i++)
            if (sh[i] == SHAPE_TITLE && (flags_of(flags, n_flags, id[i]) & FLAG_OPENER) &&
                (flags_of(flags, n_flags, id[i - 1]) & FLAG_SENTENCE_END))
                sh[i] = SHAPE_LOWER;
        return;
    }
    const int64_t first = sh[0];
    /* (a name's capitals are read before the line is lowered) */
    memset(name, 0, (size_t)n);
    for (Py_ssize_t i = 0; flags != NULL && i + 2 < n; i++) {
        int capped = 1;
        for (int k = 0; k < 3; k++)
            capped &= sh[i + k] == SHAPE_UPPER || sh[i + k] == SHAPE_TITLE ||
                      sh[i + k] == SHAPE_COUNTRY;
        if (capped && (flags_of(flags, n_flags, id[i]) & FLAG_FAMILY) &&
            (flags_of(flags, n_flags, id[i + 1]) & FLAG_MIDDLE))
            name[i] = name[i + 1] = name[i + 2] = 1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (sh[i] == SHAPE_UPPER || sh[i] == SHAPE_TITLE || sh[i] == SHAPE_COUNTRY)
            sh[i] = SHAPE_LOWER;
        else if (IS_FOREIGN(sh[i]))
            sh[i] = SHAPE_FOREIGN;
    }
    if (n > 0 && IS_FOREIGN(first))
        sh[0] = SHAPE_FOREIGN_TITLE;
    else if (n > 0 && ((first >= SHAPE_LOWER && first <= SHAPE_MIXED) || first == SHAPE_COUNTRY))
        sh[0] = SHAPE_TITLE;
    for (Py_ssize_t i = 0; i < n; i++)
        if (name[i])
            sh[i] = SHAPE_TITLE;
}

/* The join score of each token with the next (-inf where a boundary is certain): the gaps
 * between joinable shapes, scored by the model.  0, or -1 with an exception set. */
static int
line_scores(Line *l, int64_t *pid, int64_t *psh, int64_t *pcls, Py_ssize_t n, int64_t *where,
            float *scores, score_scratch *scratch)
{
    const score_cfg *cfg = &l->scorer->cfg;
    const Py_ssize_t size = n + 2 * PAD_TOKENS;
    if (cfg->have_cls) {
        const int64_t *cls = (const int64_t *)l->classes.buf;
        const Py_ssize_t n_cls = l->classes.len / 8;
        for (Py_ssize_t i = 0; i < size; i++) {
            if (pid[i] < 0 || pid[i] >= n_cls) {
                PyErr_SetString(PyExc_ValueError, "Line: a vocabulary id without a class");
                return -1;
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
    if (n_gaps == 0)
        return 0;
    if (scratch_alloc(cfg, size, scratch) < 0)
        return -1;
    if (score_core(cfg, pid, psh, cfg->have_cls ? pcls : NULL, size, where, n_gaps, gap_scores,
                   scratch) < 0) {
        PyErr_SetString(PyExc_IndexError, "Scorer: a feature value lies outside its table");
        return -1;
    }
    for (Py_ssize_t k = 0; k < n_gaps; k++)
        scores[where[k] - PAD_TOKENS] = gap_scores[k] + l->bias;
    if (l->flags.obj != NULL)
        tie_core(scores, pid + PAD_TOKENS, n, (const uint8_t *)l->flags.buf, l->flags.len);
    return 0;
}

/* What run() gives for ``mode`` (see the comment above Line), from the tokens, their kinds
 * (as write_segmented's) and scores; ``spare`` holds 2 * n int64 (for the word pairs). */
static PyObject *
line_result(Line *l, PyObject *text, int mode, const int64_t *starts, const int64_t *ends,
            const int8_t *kinds, const float *scores, Py_ssize_t n, int64_t *spare)
{
    PyObject *joined = write_one(text, starts, ends, kinds, n);
    if (joined == NULL || mode == 0)
        return joined;
    if (mode == 2)
        return Py_BuildValue("(Ny#y#y#)", joined, (const char *)starts,
                             (Py_ssize_t)(n * sizeof(int64_t)), (const char *)ends,
                             (Py_ssize_t)(n * sizeof(int64_t)), (const char *)scores,
                             (Py_ssize_t)(n * sizeof(float)));
    PyObject *words = words_of(l->word, text, starts, ends, kinds, n);
    if (words == NULL) {
        Py_DECREF(joined);
        return NULL;
    }
    if (mode == 1)
        return Py_BuildValue("(NN)", joined, words);
    /* mode 3: and each word's start and end, as int64 pairs */
    Py_ssize_t k = 0, first = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (kinds[i] == 1)
            continue;
        spare[k++] = starts[first];
        spare[k++] = ends[i];
        first = i + 1;
    }
    return Py_BuildValue("(NNy#)", joined, words, (const char *)spare,
                         (Py_ssize_t)(k * sizeof(int64_t)));
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
    const uint8_t *flags = l->flags.obj != NULL ? (const uint8_t *)l->flags.buf : NULL;
    line_pad(codes, n, pid, psh, flags, l->flags.len, (unsigned char *)kinds);
    if (line_scores(l, pid, psh, pcls, n, where, scores, &scratch) < 0)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        kinds[i] = scores[i] > 0.0f;
    if (n > 0)
        kinds[n - 1] = 3;
    /* (the codes are no longer needed: their room, and the ids' after it, hold the pairs) */
    result = line_result(l, text, mode, starts, ends, kinds, scores, n, codes);
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
