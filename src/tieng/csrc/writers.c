/* writers.c: words and writers: the underscore format (write_segmented, and write_one
 * for one text), Word objects (words_of for one text, make_words for a batch, with_tags) and
 * JSON (spans_json).
 *
 * Part of the one extension tieng._speedups: _speedups.c includes the files of csrc/ in
 * order (common.h, scan.c, scores.c, writers.c, decoders.c), one translation unit, so their
 * functions stay static.  Not compiled on its own. */

/* ------------------------------------------------------------------------------------------
 * write_segmented(text, starts, ends, kinds, bounds) -> list of str, one a document: the
 * tokens text[starts[i]:ends[i]] of document k (tokens bounds[k] .. bounds[k+1]-1), "\" and
 * "_" in them escaped with a "\", each followed by the separator its kind names: 0 " ",
 * 1 "_", 2 "\n", 3 nothing (the document's last token).  As tieng.engine.batch.texts_of.
 * With names (a list of str) and tags (uint8, one per word: a token whose kind is not 1 ends
 * a word), each word is followed by "/" and names[tags[word]].
 */
/* What write_segmented reads: the text, the tokens and their kinds, the words' tags. */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t size;
    const int64_t *starts, *ends;
    const int8_t *kinds;
    const uint8_t *tags; /* NULL: no tags */
    Py_ssize_t n_tags;
    PyObject *names;
    Py_ssize_t n_names;
} seg_src;

/* The underscore text of tokens first .. last-1, their words tagged from tags[*word] on
 * (*word advanced past them); *buf (of *buf_cap characters) grown as needed.  NULL with an
 * exception set. */
static PyObject *
write_doc(const seg_src *s, Py_ssize_t first, Py_ssize_t last, Py_ssize_t *word, Py_UCS4 **buf,
          Py_ssize_t *buf_cap)
{
    static const Py_UCS4 separator[4] = {' ', '_', '\n', 0};
    const int64_t *starts = s->starts, *ends = s->ends;
    const int8_t *kinds = s->kinds;
    Py_ssize_t len = 0, at = *word;
    for (Py_ssize_t i = first; i < last; i++) {
        if (starts[i] < 0 || ends[i] < starts[i] || ends[i] > s->size || kinds[i] < 0 ||
            kinds[i] > 3) {
            PyErr_SetString(PyExc_ValueError, "write_segmented: a bad token");
            return NULL;
        }
        for (Py_ssize_t j = starts[i]; j < ends[i]; j++) {
            Py_UCS4 ch = PyUnicode_READ(s->kind, s->data, j);
            len += 1 + (ch == '_' || ch == '\\');
        }
        len += kinds[i] != 3;
        if (s->tags != NULL && kinds[i] != 1) {
            if (at >= s->n_tags || s->tags[at] >= s->n_names) {
                PyErr_SetString(PyExc_ValueError, "write_segmented: a word without a tag");
                return NULL;
            }
            len += 1 + PyUnicode_GET_LENGTH(PyList_GET_ITEM(s->names, s->tags[at]));
            at++;
        }
    }
    if (len > *buf_cap) {
        PyMem_Free(*buf);
        *buf_cap = len > 2 * *buf_cap ? len : 2 * *buf_cap;
        *buf = PyMem_Malloc(*buf_cap * sizeof(Py_UCS4) + 1);
        if (*buf == NULL) {
            *buf_cap = 0;
            PyErr_NoMemory();
            return NULL;
        }
    }
    Py_UCS4 *out = *buf;
    Py_ssize_t w = 0;
    for (Py_ssize_t i = first; i < last; i++) {
        for (Py_ssize_t j = starts[i]; j < ends[i]; j++) {
            Py_UCS4 ch = PyUnicode_READ(s->kind, s->data, j);
            if (ch == '_' || ch == '\\')
                out[w++] = '\\';
            out[w++] = ch;
        }
        if (s->tags != NULL && kinds[i] != 1) {
            PyObject *name = PyList_GET_ITEM(s->names, s->tags[*word]);
            out[w++] = '/';
            for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(name); j++)
                out[w++] = PyUnicode_READ_CHAR(name, j);
            (*word)++;
        }
        if (kinds[i] != 3)
            out[w++] = separator[kinds[i]];
    }
    return PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, out, w);
}

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
    list = PyList_New(n_docs);
    if (list == NULL)
        goto done;
    const seg_src src = {kind, data, size, starts, ends, kinds, tags, n_tags, names, n_names};
    Py_ssize_t word = 0; /* the next word's index into tags */
    for (Py_ssize_t k = 0; k < n_docs; k++) {
        const Py_ssize_t first = bounds[k], last = bounds[k + 1];
        if (first < 0 || last < first || last > n) {
            PyErr_SetString(PyExc_ValueError, "write_segmented: bad document bounds");
            goto done;
        }
        PyObject *doc = write_doc(&src, first, last, &word, &buf, &buf_cap);
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
        PyObject *w = type->tp_alloc(type, WORD_FIELDS);
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
        for (int k = 4; k < WORD_FIELDS; k++)
            PyTuple_SET_ITEM(w, k, Py_NewRef(Py_None));
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
        if (!PyTuple_Check(w) || PyTuple_GET_SIZE(w) != WORD_FIELDS) {
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
        PyObject *t = type->tp_alloc(type, WORD_FIELDS);
        if (t == NULL)
            goto done;
        for (int k = 0; k < WORD_FIELDS; k++)
            if (k != 4)
                PyTuple_SET_ITEM(t, k, Py_NewRef(PyTuple_GET_ITEM(w, k)));
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
 * words of a batch, the twin of tieng.engine.batch.results_of's map over tuple.__new__: for each
 * i, cls(big[big_starts[i]:big_ends[i]], starts[i], ends[i], confidences[i], tags[i], None,
 * None), cls a tuple subclass of WORD_FIELDS fields (Word; its head and relation are set by
 * the parser, later); the offsets int64 arrays, confidences and tags lists of the same
 * length, or None (None for every word). */
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
        PyObject *w = type->tp_alloc(type, WORD_FIELDS);
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
        for (int k = 5; k < WORD_FIELDS; k++)
            PyTuple_SET_ITEM(w, k, Py_NewRef(Py_None));
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
