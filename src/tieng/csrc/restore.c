/* ------------------------------------------------------------------------------------------
 * restore_choices(packed, line, offsets, candidates, classes, weights, columns, seeds, bits,
 *                 out): the restorer's choice for every token, from the tokens' packed codes
 * (context id << 24 | own key id + 1 << 3 | case shape; tieng.candidates): out[i] the first
 * of token i's candidates candidates[offsets[k]:offsets[k + 1]] with the best sum of int8
 * weights, a row a template (a lone candidate without scoring), or -1 where the token is left
 * as written.  The twin of _pure.restore_choices; the hashes are those of tieng.candidates
 * (unpack, context_hashes, weight_rows), bit for bit.
 */
#define RESTORE_MAX_TEMPLATES 32
#define RESTORE_FIRST_KEY 2 /* candidates.FIRST_KEY */
#define RESTORE_OWN_MASK ((1 << 21) - 1)

typedef struct {
    const int64_t *packed, *line, *classes, *columns;
    const int32_t *offsets, *candidates;
    const uint64_t *seeds;
    const int8_t *weights;
    int64_t *out;
    Py_ssize_t n, n_keys, n_candidates, n_forms, n_templates;
    int bits;
} restore_args_t;

/* The case shape the model reads at token i (candidates.caps_as_lower): capitals next to
 * capitals on the line read as lower case. */
static inline uint64_t
restore_shape(const restore_args_t *a, Py_ssize_t i)
{
    const int64_t shape = a->packed[i] & 7;
    if (shape != 2)
        return (uint64_t)shape;
    if ((i > 0 && a->line[i - 1] == a->line[i] && (a->packed[i - 1] & 7) == 2) ||
        (i + 1 < a->n && a->line[i + 1] == a->line[i] && (a->packed[i + 1] & 7) == 2))
        return 0;
    return 2;
}

/* Every index is checked where it is read (the model's arrays are large, a call's tokens
 * few: checking them whole would cost a call more than its work); -1 for one out of range. */
static int
restore_core(const restore_args_t *a)
{
    const int shift = 64 - a->bits;
    const Py_ssize_t T = a->n_templates;
    for (Py_ssize_t t = 0; t < 2 * T; t++)
        if (a->columns[t] < 0 || a->columns[t] > 5)
            return -1;
    for (Py_ssize_t i = 0; i < a->n; i++) {
        const int64_t own = ((a->packed[i] >> 3) & RESTORE_OWN_MASK) - 1;
        if (own < 0) {
            a->out[i] = -1;
            continue;
        }
        const int64_t k = own - RESTORE_FIRST_KEY;
        if (k < 0 || k >= a->n_keys)
            return -1;
        const int32_t lo = a->offsets[k], hi = a->offsets[k + 1];
        if (lo < 0 || lo >= hi || hi > a->n_candidates)
            return -1;
        if (hi - lo == 1) { /* one candidate: nothing to score */
            if (a->candidates[lo] < 0 || a->candidates[lo] >= a->n_forms)
                return -1;
            a->out[i] = a->candidates[lo];
            continue;
        }
        const int64_t here = a->line[i];
        uint64_t v[6], hs[RESTORE_MAX_TEMPLATES];
        static const int offs[4] = {-2, -1, 1, 2};
        for (int c = 0; c < 4; c++) {
            const Py_ssize_t q = i + offs[c];
            v[c] = (q >= 0 && q < a->n && a->line[q] == here) ? (uint64_t)(a->packed[q] >> 24) : 0;
        }
        v[4] = restore_shape(a, i);
        v[5] = 0;
        for (Py_ssize_t t = 0; t < T; t++) {
            uint64_t h = v[a->columns[2 * t]] ^ a->seeds[t];
            h *= M2;
            h ^= v[a->columns[2 * t + 1]];
            h *= M2;
            hs[t] = h ^ (h >> 31);
        }
        int32_t best = INT32_MIN;
        int64_t pick = -1;
        for (int32_t c = lo; c < hi; c++) {
            const int64_t form = a->candidates[c];
            if (form < 0 || form >= a->n_forms)
                return -1;
            const uint64_t mixed = (uint64_t)a->classes[form] * M1;
            int32_t sum = 0;
            for (Py_ssize_t t = 0; t < T; t++) {
                uint64_t x = (hs[t] ^ mixed) * M2;
                x ^= x >> 29;
                x *= M3;
                sum += a->weights[x >> shift];
            }
            if (sum > best) {
                best = sum;
                pick = form;
            }
        }
        a->out[i] = pick;
    }
    return 0;
}

static PyObject *
restore_choices(PyObject *self, PyObject *args)
{
    PyObject *o[9];
    int bits;
    if (!PyArg_ParseTuple(args, "OOOOOOOOiO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6],
                          &o[7], &bits, &o[8]))
        return NULL;
    static const Py_ssize_t sizes[9] = {8, 8, 4, 4, 8, 1, 8, 8, 8};
    static const char *names[9] = {"packed", "line", "offsets", "candidates", "classes",
                                   "weights", "columns", "seeds", "out"};
    Py_buffer b[9] = {{0}};
    PyObject *result = NULL;
    for (int q = 0; q < 9; q++)
        if (get_buffer(o[q], &b[q], sizes[q], q == 8, names[q]) < 0)
            goto done;
    restore_args_t a = {
        .packed = b[0].buf, .line = b[1].buf, .offsets = b[2].buf, .candidates = b[3].buf,
        .classes = b[4].buf, .weights = b[5].buf, .columns = b[6].buf, .seeds = b[7].buf,
        .out = b[8].buf, .n = b[0].len / 8, .n_keys = b[2].len / 4 - 1,
        .n_candidates = b[3].len / 4, .n_forms = b[4].len / 8, .n_templates = b[7].len / 8,
        .bits = bits,
    };
    if (b[1].len / 8 != a.n || b[8].len / 8 != a.n || a.n_keys < 0 ||
        b[6].len / 8 != 2 * a.n_templates || a.n_templates > RESTORE_MAX_TEMPLATES ||
        bits < 1 || bits > 40 || b[5].len != ((Py_ssize_t)1 << bits)) {
        PyErr_SetString(PyExc_ValueError, "restore_choices: inconsistent arrays");
        goto done;
    }
    int bad;
    Py_BEGIN_ALLOW_THREADS
    bad = restore_core(&a);
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "restore_choices: an index out of range");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    for (int q = 0; q < 9; q++)
        if (b[q].obj)
            PyBuffer_Release(&b[q]);
    return result;
}

/* ------------------------------------------------------------------------------------------
 * write_forms(chars, starts, forms, lower, upper, lengths): the written forms of the
 * restored syllables put into the text's code points (uint32) in place: form forms[j] at
 * starts[j], each letter from lower (or from upper where the letter there is an ASCII
 * capital); lower and upper are (forms, width) tables.  The twin of _pure.write_forms.
 */
static PyObject *
write_forms(PyObject *self, PyObject *args)
{
    PyObject *o[6];
    if (!PyArg_ParseTuple(args, "OOOOOO", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]))
        return NULL;
    static const Py_ssize_t sizes[6] = {4, 8, 8, 4, 4, 8};
    static const char *names[6] = {"chars", "starts", "forms", "lower", "upper", "lengths"};
    Py_buffer b[6] = {{0}};
    PyObject *result = NULL;
    for (int q = 0; q < 6; q++)
        if (get_buffer(o[q], &b[q], sizes[q], q == 0, names[q]) < 0)
            goto done;
    uint32_t *chars = b[0].buf;
    const int64_t *starts = b[1].buf, *forms = b[2].buf, *lengths = b[5].buf;
    const uint32_t *lower = b[3].buf, *upper = b[4].buf;
    const Py_ssize_t n_chars = b[0].len / 4, m = b[1].len / 8, n_forms = b[5].len / 8;
    const Py_ssize_t width = n_forms ? (b[3].len / 4) / n_forms : 0;
    if (b[2].len / 8 != m || b[4].len != b[3].len || width * n_forms * 4 != b[3].len) {
        PyErr_SetString(PyExc_ValueError, "write_forms: inconsistent arrays");
        goto done;
    }
    for (Py_ssize_t j = 0; j < m; j++) {
        const int64_t f = forms[j], s = starts[j];
        if (f < 0 || f >= n_forms || lengths[f] < 0 || lengths[f] > width || s < 0 ||
            s > n_chars - lengths[f]) {
            PyErr_SetString(PyExc_ValueError, "write_forms: an index out of range");
            goto done;
        }
        const uint32_t *lo = lower + f * width, *up = upper + f * width;
        uint32_t *at = chars + s;
        for (int64_t k = 0; k < lengths[f]; k++)
            at[k] = (at[k] >= 'A' && at[k] <= 'Z') ? up[k] : lo[k];
    }
    result = Py_NewRef(Py_None);
done:
    for (int q = 0; q < 6; q++)
        if (b[q].obj)
            PyBuffer_Release(&b[q]);
    return result;
}

/* ------------------------------------------------------------------------------------------
 * parser_rows(values, bits) -> list: the weight row of each of the parser's features, the
 * twin of tieng.parsing._rows: values[k] a tuple of non-negative ints (template k's), mixed
 * modulo the prime 2**61 - 1 in 128-bit arithmetic, exactly as Python's integers do.
 */
#define PARSER_P ((((uint64_t)1) << 61) - 1)
#define PARSER_K1 (0x9E3779B97F4A7C15ULL % PARSER_P)
#define PARSER_K2 (0xBF58476D1CE4E5B9ULL % PARSER_P)
#define PARSER_K3 0x2545F4914F6CDD1DULL

static PyObject *
parser_rows(PyObject *self, PyObject *args)
{
    PyObject *values;
    int bits;
    if (!PyArg_ParseTuple(args, "O!i", &PyList_Type, &values, &bits))
        return NULL;
    if (bits < 1 || bits > 40) {
        PyErr_SetString(PyExc_ValueError, "parser_rows: bits out of range");
        return NULL;
    }
    const uint64_t mask = (((uint64_t)1) << bits) - 1;
    const Py_ssize_t n = PyList_GET_SIZE(values);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *v = PyList_GET_ITEM(values, k);
        if (!PyTuple_Check(v)) {
            PyErr_SetString(PyExc_TypeError, "parser_rows: each feature is a tuple of ints");
            Py_DECREF(out);
            return NULL;
        }
        unsigned __int128 h = ((unsigned __int128)(k + 1) * PARSER_K1) % PARSER_P;
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(v); j++) {
            const unsigned long long x = PyLong_AsUnsignedLongLong(PyTuple_GET_ITEM(v, j));
            if (x == (unsigned long long)-1 && PyErr_Occurred()) {
                Py_DECREF(out);
                return NULL;
            }
            h = (h * PARSER_K2 + x) % PARSER_P;
        }
        const uint64_t row = (uint64_t)((h * PARSER_K3) >> 7) & mask;
        PyObject *r = PyLong_FromUnsignedLongLong(row);
        if (r == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, k, r);
    }
    return out;
}
