/* scan.c: scanning and tokens: scan_chunks (the tokenizer's loop), lookup_codes,
 * count_words, and the CodeTable with codes_of_spans (token -> code by the characters of a
 * slice).
 *
 * Part of the one extension tieng._speedups: _speedups.c includes the files of csrc/ in
 * order (common.h, scan.c, scores.c, writers.c, decoders.c), one translation unit, so their
 * functions stay static.  Not compiled on its own. */

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
/* A chunk text[a:b] of a word or a number with punctuation marks around it ("(nói),",
 * "2004)."), cut as tokenization._punctuated cuts it: marks of ``leading`` before the core,
 * marks of ``trailing`` after it, the last of which may also be "." or "…".  1 when the chunk
 * was such a word and its tokens are pushed, 0 when it is not, -1 with an exception set. */
static int
punctuated(PyObject *text, const scan_cfg *c, token_sink *sink, Py_ssize_t a, Py_ssize_t b)
{
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
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
    if (!(i < j && (i > a || j < b)))
        return 0;
    int ok = 0;
    if (all_alpha(kind, data, i, j)) {
        ok = 1;
        if (j == b - 1 && PyUnicode_READ(kind, data, j) == '.') {
            /* At the end of a line (only spaces after it) the dot is a full stop: an
             * abbreviation keeps its dot only when more text follows on the line.
             * Elsewhere, only a plain word's dot is one. */
            Py_ssize_t after = b;
            while (after < n && PyUnicode_READ(kind, data, after) == ' ')
                after++;
            if (after < n && !in_chars(c->breaks, PyUnicode_READ(kind, data, after))) {
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
    if (!ok)
        return 0;
    for (Py_ssize_t k = a; k < i; k++)
        if (push(sink, text, k, k + 1) < 0)
            return -1;
    if (push(sink, text, i, j) < 0)
        return -1;
    for (Py_ssize_t k = j; k < b; k++)
        if (push(sink, text, k, k + 1) < 0)
            return -1;
    return 1;
}

/* The tokens of a chunk text[a:b] as ``findall`` cuts it (the tokenizer's regular
 * expression, given ``context`` characters after the chunk), pushed; the line breaks in its
 * white space to ``line_breaks``.  0, or -1 with an exception set. */
static int
pieces_of(PyObject *text, const scan_cfg *c, token_sink *sink, PyObject *line_breaks,
          Py_ssize_t a, Py_ssize_t b)
{
    const Py_ssize_t n = PyUnicode_GET_LENGTH(text);
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
        if (in_chars(c->spaces, PyUnicode_READ_CHAR(piece, 0))) {
            int has_break = 0;
            for (Py_ssize_t j = 0; j < plen && !has_break; j++)
                has_break = in_chars(c->breaks, PyUnicode_READ_CHAR(piece, j));
            if (has_break && push_int(line_breaks, p) < 0) {
                Py_DECREF(seq);
                return -1;
            }
        }
        else if ((sink->tokens != NULL && PyList_Append(sink->tokens, piece) < 0) ||
                 vec_push(&sink->starts, p) < 0 || vec_push(&sink->ends, p + plen) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        p += plen;
    }
    Py_DECREF(seq);
    return 0;
}

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
            const int done = punctuated(text, c, sink, a, b);
            if (done < 0)
                return -1;
            if (done)
                goto next;
        }
        if (pieces_of(text, c, sink, line_breaks, a, b) < 0)
            return -1;
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
 * __missing__ computes what it lacks, as tieng.engine.vocabulary.Vocabulary.codes.
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
