"""The compiled helpers (tieng._speedups) against their Python twins.

Scores the same bit for bit, the same tokens, codes and output.  The package is built with
the compiled module wherever a C compiler is present (as in CI); ``TIENG_PURE_PYTHON=1``
switches it off, and the output must not change.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tieng
from tieng import Model, Segmenter, _accel
from tieng._accel import speedups
from tieng.engine.features import PAD, Shape

# Every test here compares the compiled helpers with the Python code; tests/test_build.py
# says whether they must be there.
pytestmark = pytest.mark.skipif(
    speedups is None, reason="the compiled helpers are not in use (not built, or pure Python)"
)

SAMPLE = Path(tieng.__file__).parent / "data" / "sample.txt"
TEXT = (
    "Thủ tướng Chính phủ đã có văn bản giao TP. HCM hoàn thiện báo cáo trong tháng 6-2004.\n"
    "HỘI NGHỊ THƯỜNG NIÊN CỦA NGÂN HÀNG NHÀ NƯỚC diễn ra ở Hà Nội ngày 27/11/2023 🙂\n"
    "Ông Nguyễn Văn A nói: “Chúng tôi sẽ hoà giải, không để xảy ra xung đột.” xã hội chủ nghĩa"
)


# ------------------------------------------------------------------ token codes


# ------------------------------------------------------------------ tokenizer scan
def _reference_scan(text: str, pretokenized: bool):
    from tieng import _pure
    from tieng.tokenization import scan_settings

    tokens, starts, _, line_breaks = _pure.scan_chunks(text, *scan_settings(pretokenized), True)
    return tokens, np.frombuffer(starts, np.int64).tolist(), line_breaks


NAUGHTY = [
    line.encode("ascii").decode("unicode_escape")
    for line in (Path(__file__).parent / "data" / "naughty.txt")
    .read_text(encoding="ascii")
    .splitlines()
]


@pytest.mark.parametrize("pretokenized", [False, True])
def test_compiled_scan_agrees_on_real_and_hostile_text(pretokenized):
    from tieng.tokenization import scan

    texts = [SAMPLE.read_text(encoding="utf-8"), TEXT, "", " ", "  a  ", "a ", " \n ", *NAUGHTY]
    texts += ["nói, (Điều hôm qua.Nó TP. HCM U.S. tp. GS. v.v. 6-2004 a_b 😀 \u2028x"]
    for text in texts:
        assert scan(text, pretokenized) == _reference_scan(text, pretokenized), repr(text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(" ., ()“”:;!?_-/0123456789aàHNộ\n\t\u00a0\u200b")) | st.text(),
    st.booleans(),
)
def test_compiled_scan_agrees_on_any_text(text, pretokenized):
    from tieng.tokenization import scan

    assert scan(text, pretokenized) == _reference_scan(text, pretokenized)


def _padded_inputs(model: Model, tokens: list[str], breaks: np.ndarray):
    codes = model.vocabulary.codes(tokens)
    model.join_scores(codes[:2], breaks[:2])  # builds the score tables
    pid, psh, _, where = model._padded(codes, breaks)
    return pid, psh, where, model._classes(pid)


def _assert_same_sums(model: Model, tokens: list[str], breaks: np.ndarray) -> int:
    pid, psh, where, classes = _padded_inputs(model, tokens, breaks)
    tables = model._tables
    lists = model._lists
    compiled = tables._compiled_scores(pid, psh, where, model._lexicon, classes, lists)
    reference = tables._numpy_scores(pid, psh, where, model._lexicon, classes, lists)
    assert compiled.dtype == reference.dtype == np.float32
    assert np.array_equal(compiled.view(np.uint32), reference.view(np.uint32))
    return len(where)


@pytest.mark.parametrize("name", list(tieng.BUNDLED_MODELS))
def test_bundled_models_score_the_same(name):
    """Over several of the compiled scorer's chunks of 4,096 tokens, so across their seams."""
    model = Segmenter(name).model
    text = SAMPLE.read_text(encoding="utf-8") + "\n" + TEXT
    tokens = [t.text for t in tieng.tokenize(text)] * 60
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    breaks[np.random.default_rng(0).random(len(tokens)) < 0.05] = True
    assert _assert_same_sums(model, tokens, breaks) > 10_000


@pytest.mark.parametrize("kind", ["inf", "nan", "huge"])
def test_crafted_weights_score_alike_without_warnings(kind):
    """Weights no trained model has (a crafted file's) sum to inf or nan in both scorers,
    silently; a bias beyond float32 is refused."""
    import warnings

    from tieng.model import ModelError

    base = Segmenter().model
    wide = base.codebook[base.weights] if base.codebook is not None else base.weights
    weights = wide.astype(np.float32)
    if kind == "inf":
        weights[::3], weights[1::3] = np.inf, -np.inf
    elif kind == "nan":
        weights[::3] = np.nan
    else:
        weights[:] = 3e38
    model = Model(
        base.vocabulary, base.lexicon, weights, base.bias, base.spec, {}, base.classes, base._lists
    )
    tokens = [t.text for t in tieng.tokenize(TEXT)]
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pid, psh, where, classes = _padded_inputs(model, tokens, breaks)
        tables = model.score_tables()
        compiled = tables._compiled_scores(pid, psh, where, model._lexicon, classes, model._lists)
        reference = tables._numpy_scores(pid, psh, where, model._lexicon, classes, model._lists)
        assert np.array_equal(compiled, reference, equal_nan=True)
        assert not np.isfinite(reference).all()
        seg = Segmenter(model)
        assert seg(TEXT, confidence=True).text == seg.segment_text(TEXT)
    with pytest.raises(ModelError, match="float32"):
        Model(
            base.vocabulary,
            base.lexicon,
            base.weights,
            1e300,
            base.spec,
            {},
            base.classes,
            base._lists,
            base.codebook,
        )


def test_known_words_score_the_same():
    model = Segmenter().model.with_words([["hoà", "giải", "xung", "đột"], ["văn", "bản", "giao"]])
    tokens = [t.text for t in tieng.tokenize(TEXT)]
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    assert _assert_same_sums(model, tokens, breaks) > 20


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"affixes": False},
        {"classes": 4},
        {"ngrams": [[0], [1], [-2, -1, 0, 1], [0, 1, 2, 3]], "max_word": 6},
        {"max_word": 12, "affixes": False},
        {"max_word": 16},  # (a window longer than a short text: once an IndexError)
        {"lists": "two"},
        {"lists": "two", "list_version": 2},
        {"lists": "two", "max_word": 6, "classes": 4},
        {"foreign": True, "classes": 4},
        {"foreign": True, "countries": ["Pháp", "Việt", "Mỹ"]},
    ],
)
def test_other_feature_settings_score_the_same(tiny_corpus, options):
    from tieng.training.segmenter import train

    sentences = [s.split() for s in tiny_corpus] * 4
    if options.get("lists"):  # two outside word lists, one with entries the corpus lacks
        words = sorted({w for s in tiny_corpus for w in s.split() if "_" in w})
        syllables = sorted({x for s in tiny_corpus for x in s.replace("_", " ").split()})
        options = dict(options)
        options["lists"] = {
            "half": [w.split("_") for w in words[::2]],
            "pairs": [[a, b] for a, b in zip(syllables, syllables[1:])],
        }
    model = train(sentences, hash_bits=12, max_iter=20, folds=2, l2=0.1, **options)
    text = " ".join(s.replace("_", " ") for s in tiny_corpus) + " " + TEXT
    tokens = [t.text for t in tieng.tokenize(text)]
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    assert _assert_same_sums(model, tokens, breaks) > 50
    # Weights in single precision take the other branch of the compiled scorer.
    single = Model(
        model.vocabulary,
        model.lexicon,
        model.weights.astype(np.float32),
        model.bias,
        model.spec,
        model.metadata,
        model.classes,
        model._lists,
    )
    assert _assert_same_sums(single, tokens, breaks) > 50


_SEGMENTER = Segmenter()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(_SEGMENTER.model.vocabulary) - 1),
            st.integers(1, Shape.COUNTRY),
            st.booleans(),
        ),
        min_size=2,
    )
)
def test_random_token_codes_score_the_same(rows):
    """Any run of ids and shapes, with sentence breaks anywhere, gets the same sums."""
    model = _SEGMENTER.model
    codes = np.array([i * Shape.COUNT + s for i, s, _ in rows], np.int64)
    breaks = np.array([b for *_, b in rows], bool)
    breaks[0] = True
    model.join_scores(codes[:2], breaks[:2])
    pid, psh, _, where = model._padded(codes, breaks)
    tables, classes, lists = model._tables, model._classes(pid), model._lists
    compiled = tables._compiled_scores(pid, psh, where, model._lexicon, classes, lists)
    reference = tables._numpy_scores(pid, psh, where, model._lexicon, classes, lists)
    assert np.array_equal(compiled.view(np.uint32), reference.view(np.uint32))


def test_bad_arguments_are_errors_not_crashes():
    from tieng import _speedups

    model = _SEGMENTER.model
    tokens = [t.text for t in tieng.tokenize(TEXT)]
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    pid, psh, where, classes = _padded_inputs(model, tokens, breaks)
    tables, lex = model._tables, model._lexicon

    lists = (*model._lists.table.as_args(), model._lists.count)

    def call(program=None, where=where, out=None, lists=lists, lexicon=None):
        scorer = _speedups.Scorer(
            lexicon or lex.table.as_args(), model.spec.max_word, model.spec.hash_bits,
            model.weights, tables._lut, program or tables._program, lists, classes is not None,
        )  # fmt: skip
        scorer.score(pid, psh, classes, where,
                     np.empty(len(where), np.float32) if out is None else out)  # fmt: skip

    call()
    with pytest.raises(ValueError, match="word-list template without its list"):
        call(lists=None)
    with pytest.raises(ValueError, match="do not match"):
        call(lists=(*lists[:1], lists[1][:-1], *lists[2:]))
    keys, flags, bits = lex.table.as_args()
    with pytest.raises(ValueError, match="do not match"):  # no empty slot to end a probe
        call(lexicon=(np.ones_like(keys), flags, bits))
    with pytest.raises(ValueError, match="do not match"):
        call(lexicon=(keys, flags, bits + 1))
    with pytest.raises(ValueError, match="too many word lists"):
        call(lists=(*lists[:-1], 9))
    small = [(src, None if t is None else t[:3], d) for src, t, d in tables._program]
    with pytest.raises(IndexError, match="outside its table"):
        call(small)
    with pytest.raises(ValueError, match="too close"):
        call(where=np.array([1], np.int64))
    with pytest.raises(ValueError, match="inconsistent"):
        call(out=np.empty(1, np.float32))
    with pytest.raises(ValueError, match="unknown template source"):
        call([((99,), None, None)])
    assert PAD == 3  # the compiled scorer reads three tokens either side of a gap


def test_pure_python_gives_the_same_output(tmp_path):
    """The CLI's text and scored JSONL output with and without the compiled module."""
    src = tmp_path / "in.txt"
    src.write_text(SAMPLE.read_text(encoding="utf-8") + TEXT + "\n", encoding="utf-8")

    def run(pure: bool, *options: str) -> str:
        env = dict(os.environ)
        env.pop("TIENG_PURE_PYTHON", None)
        if pure:
            env["TIENG_PURE_PYTHON"] = "1"
        check = "import tieng._accel as a; print(a.speedups is None)"
        which = subprocess.run(
            [sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True
        )
        assert which.stdout.strip() == str(pure)
        out = subprocess.run(
            [sys.executable, "-m", "tieng", "segment", *options, str(src)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout

    assert run(True) == run(False)
    pure, compiled = (
        run(True, "--to", "jsonl", "--confidence"),
        run(False, "--to", "jsonl", "--confidence"),
    )
    assert pure == compiled
    assert json.loads(pure.splitlines()[0])["tieng"]["confidence"]


# ------------------------------------------------------------------ score tables, word counts


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(" \t\n\r\x0b\x0c\x1c\x85\u00a0\u2028\u3000\u200bab"))
    | st.text()
)
def test_compiled_word_count_is_len_of_split(text):
    from tieng import _speedups

    assert _speedups.count_words(text) == len(text.split())


# ------------------------------------------------------------------ offsets-only text path
def _paths(seg: Segmenter, texts: list[str]) -> tuple[list[str], list[str]]:
    """The underscore format of a batch by the offsets-only path with the compiled writer,
    and by the token path with the Python writer."""
    from tieng import _accel
    from tieng.engine import batch as results

    fast = seg._analyze(texts)
    with _accel.using(None):
        slow = seg._analyze(texts)
        slow_texts = results.texts_of(slow)
    return results.texts_of(fast), slow_texts


@pytest.mark.parametrize("name", list(tieng.BUNDLED_MODELS))
@pytest.mark.parametrize("pretokenized", [False, True])
def test_offsets_path_writes_what_the_token_path_writes(name, pretokenized):
    seg = Segmenter(name, pretokenized=pretokenized)
    texts = [*SAMPLE.read_text(encoding="utf-8").splitlines(), *TEXT.splitlines(), *NAUGHTY]
    texts += ["", "my_var = a\\b __init__ \\_", "Hà Nội _ \\ _x_", "   ", "a"]
    assert seg._analyze(texts[:3]).tokens is None  # the path really is taken
    fast, slow = _paths(seg, texts)
    assert fast == slow and len(fast) == len(texts)
    assert any(line.startswith("my\\_var = a") and "\\\\" in line for line in fast)  # escaped


def test_offsets_path_steps_aside_for_credit_lines_and_dictionaries():
    seg = Segmenter()
    credit = ["Hà Nội mưa to. Ảnh: Nguyễn Văn An"]
    batch = seg._analyze(credit)
    assert batch.tokens is not None  # credit lines need the token strings
    mine = seg.with_dictionary(tieng.UserDictionary(["mưa to"]))
    assert mine._analyze(["Hà Nội mưa to"]).tokens is not None
    assert mine.segment_text("Hà Nội mưa to") == "Hà_Nội mưa_to"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(" ._\\,()“”:0123456789aàHNộ\n\t\u00a0\u200b\u2028😀"))
        | st.text(),
        max_size=6,
    ),
    st.booleans(),
)
def test_offsets_path_agrees_on_any_texts(texts, pretokenized):
    seg = _SEGMENTER if not pretokenized else _PRETOKENIZED
    fast, slow = _paths(seg, texts)
    assert fast == slow


_PRETOKENIZED = Segmenter(pretokenized=True)


def test_code_table_gives_the_vocabulary_codes_even_when_cleared():
    import pickle

    from tieng import _speedups
    from tieng.engine.vocabulary import Vocabulary

    vocabulary = Vocabulary(["hà", "nội", "tôi"], 1)
    text = TEXT + " Hà hà HÀ hà\u0300 Nội nội " * 3
    starts, ends, _ = tieng.tokenization.scan_offsets(text)
    expected = vocabulary.codes([text[a:b] for a, b in zip(starts, ends)])
    table = _speedups.CodeTable(5)  # cleared again and again
    for _ in range(2):
        out = np.empty(len(starts), np.int64)
        _speedups.codes_of_spans(table, text, starts, ends, vocabulary._compute, out)
        assert np.array_equal(out, expected)
        assert 0 < len(table) <= 5
    assert np.array_equal(vocabulary.codes_of_spans(text, starts, ends), expected)
    copy = pickle.loads(pickle.dumps(table))  # a cache: it travels empty
    assert type(copy) is _speedups.CodeTable and len(copy) == 0
    with pytest.raises(ValueError, match="outside the text"):
        _speedups.codes_of_spans(table, "ab", np.array([1]), np.array([3]), str, np.empty(1, int))
    with pytest.raises(ValueError, match="positive"):
        _speedups.CodeTable(0)


def test_compiled_scan_offsets_agree_with_the_tokens():
    from tieng import tokenization

    for text in [TEXT, *NAUGHTY, ""]:
        starts, ends, breaks = tokenization.scan_offsets(text)
        tokens, ref_starts, ref_breaks = _reference_scan(text, False)
        assert starts.tolist() == ref_starts and breaks == ref_breaks
        assert [text[a:b] for a, b in zip(starts.tolist(), ends.tolist())] == tokens


def test_write_segmented_rejects_bad_offsets():
    from tieng import _speedups

    one = np.array([0], np.int64)
    with pytest.raises(ValueError, match="bad token"):
        _speedups.write_segmented("ab", one, np.array([5]), np.zeros(1, np.int8), np.array([0, 1]))
    with pytest.raises(ValueError, match="bounds"):
        _speedups.write_segmented("ab", one, one + 1, np.zeros(1, np.int8), np.array([0, 2]))


def test_keep_freed_memory_is_taken_by_glibc_and_a_no_op_without_the_module(monkeypatch):
    import platform

    from tieng import _accel

    # In a child process: the setting is process-wide, and the CLI, not the library, owns it.
    code = "from tieng._accel import keep_freed_memory as k; print(k())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(platform.libc_ver()[0] == "glibc")
    monkeypatch.setattr(_accel, "_compiled", None)
    assert _accel.keep_freed_memory() is False


# ------------------------------------------------------------------ the per-call path
FUZZ_SEEDS = [
    p.read_bytes().decode("utf-8", "replace")
    for p in sorted((Path(__file__).parents[1] / "fuzz" / "seeds").iterdir())
]
PER_CALL_TEXTS = [
    *SAMPLE.read_text(encoding="utf-8").splitlines(),
    *TEXT.splitlines(),
    *NAUGHTY,
    *(line for seed in FUZZ_SEEDS for line in seed.splitlines()),
    "",
    "   ",
    "a",
    ".",
    "Tôi yêu Việt Nam.",
    "TÔI YÊU VIỆT NAM.",
    "Hà Nội _ \\ _x_ my_var",
    "GS. Nguyễn Văn A và TP. HCM.",
    "Ông ấy nói vs. bà ấy TP.",
    "Giá tăng 20%-30% trong năm 2010-2015, khoảng 5km.",
    "\u00a0Hà\u200bNội\u00a0",
]
_OPTIONS = [
    dict(text_only=True),
    dict(text_only=True, tags=True),
    dict(),
    dict(tags=True),
    dict(confidence=True),
    dict(tags=True, confidence=True),
]


def _per_call_and_batch(seg: Segmenter, text: str, **options):
    from tieng.segmentation import _BATCH, _Options

    opts = _Options(**options)
    return seg._one(text, opts), next(seg._run([text], _BATCH, opts))


@pytest.mark.parametrize("name", list(tieng.BUNDLED_MODELS))
@pytest.mark.parametrize("pretokenized", [False, True])
@pytest.mark.parametrize("options", _OPTIONS)
def test_per_call_path_gives_what_the_batch_path_gives(name, pretokenized, options):
    """One text, one compiled call: the same text, words, offsets, tags and confidences as
    the batch path, on real, hostile and fuzzing texts; and the path is really taken."""
    seg = Segmenter(name, pretokenized=pretokenized)
    taken = 0
    for text in PER_CALL_TEXTS:
        one, batch = _per_call_and_batch(seg, text, **options)
        if one is not None:
            taken += 1
            assert one == batch, text
            assert getattr(one, "model", None) == getattr(batch, "model", None), text
    assert taken > 0.9 * len(PER_CALL_TEXTS)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(" ._\\,()“”:.0123456789aàAÀHNộỘ\t\u00a0\u200b😀-%"))
    | st.text(),
    st.sampled_from(_OPTIONS),
)
def test_per_call_path_agrees_on_any_text(text, options):
    one, batch = _per_call_and_batch(_SEGMENTER, text, **options)
    assert one is None or one == batch


def test_per_call_path_steps_aside_where_the_batch_path_must_run():
    """Several lines, a photo credit, a user dictionary's rules, sentences, a long line:
    the batch path runs, and the public calls give its result."""
    from tieng.engine.batch import WINDOW_CHARS
    from tieng.segmentation import _Options

    seg = Segmenter()
    mine = seg.with_dictionary(tieng.UserDictionary(["mưa to"], never_join=["Hà Nội"]))
    cases = [
        (seg, "Trời mưa.\nHọc sinh nghỉ."),
        (seg, "Hà Nội mưa to.\r\nẢnh: AP"),
        (seg, "Hà Nội mưa to. Ảnh: Nguyễn Văn An"),
        (seg, "Hà Nội mưa to \u2028 nhé"),
        (seg, "Hà Nội mưa to. " * (WINDOW_CHARS // 10)),
        (mine, "Hà Nội mưa to"),
    ]
    for s, text in cases:
        assert s._one(text, _Options(True)) is None
        assert s._one(text, _Options()) is None
        assert s.segment_text(text) == next(s._run([text], 1, _Options(True)))
    assert seg._one("Trời mưa. Học sinh nghỉ.", _Options(sentences=True)) is None
    assert mine.segment_text("Hà Nội mưa to") == "Hà Nội mưa_to"
    # the module shortcuts take the same path
    assert tieng.segment_text("Tôi là sinh viên.") == "Tôi là sinh_viên ."


def test_per_call_path_is_safe_between_threads():
    """Many threads calling one segmenter (and filling its code cache) get what one gets."""
    from concurrent.futures import ThreadPoolExecutor

    seg = Segmenter()
    texts = [t for t in PER_CALL_TEXTS if t][:200] * 5
    expected = [Segmenter().segment_text(t) for t in texts]
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(seg.segment_text, texts))
        docs = list(pool.map(lambda t: seg(t, tags=True), texts))
    assert got == expected
    assert [d.text for d in docs] == expected


def test_line_rejects_bad_arguments():
    from tieng import _speedups
    from tieng.values import Word

    seg = Segmenter()
    seg.segment_text("x")
    line = seg._line
    with pytest.raises(ValueError, match="mode"):
        line.run("Hà Nội", 7)
    with pytest.raises(TypeError):
        line.run(b"Ha Noi", 0)
    model = seg.model
    with pytest.raises(TypeError, match="tuple subclass"):
        _speedups.Line(
            model.compiled_scorer(), model.vocabulary.code_table(), model.vocabulary._compute,
            *tieng.tokenization.scan_settings(False), model.classes.astype(np.int64),
            model.bias, tieng.engine.features.JOINABLE.astype(np.uint8), dict, 100, None,
        )  # fmt: skip
    with pytest.raises(ValueError, match="joinable"):
        _speedups.Line(
            model.compiled_scorer(), model.vocabulary.code_table(), model.vocabulary._compute,
            *tieng.tokenization.scan_settings(False), model.classes.astype(np.int64),
            model.bias, np.zeros(3, np.uint8), Word, 100, None,
        )  # fmt: skip
    with pytest.raises(ValueError, match="flags"):
        _speedups.Line(
            model.compiled_scorer(), model.vocabulary.code_table(), model.vocabulary._compute,
            *tieng.tokenization.scan_settings(False), model.classes.astype(np.int64),
            model.bias, tieng.engine.features.JOINABLE.astype(np.uint8), Word, 100,
            np.zeros(3, np.float32),
        )  # fmt: skip


def test_compiled_scorer_reads_its_settings_once_and_scores_as_numpy():
    """The Scorer object, made once for a model, gives numpy's sums."""
    model = Segmenter().model
    codes = model.vocabulary.codes([t.text for t in tieng.tokenize(TEXT.replace("\n", " "))])
    breaks = np.zeros(len(codes), bool)
    breaks[0] = True
    pid, psh, _, where = model._padded(codes, breaks)
    tables = model.score_tables()
    assert model.compiled_scorer() is model.compiled_scorer()  # kept, not rebuilt
    numpy_sums = tables._numpy_scores(pid, psh, where, model._lexicon, model._classes(pid),
                                      model._lists)  # fmt: skip
    compiled = tables._compiled_scores(pid, psh, where, model._lexicon, model._classes(pid),
                                       model._lists)  # fmt: skip
    assert np.array_equal(compiled, numpy_sums)


def test_one_sentence_tagger_gives_the_batch_tags():
    """Tagger.tag_spans on one sentence (the compiled tag_rows) against the general decoder,
    on sentences in capitals too (read as sentence case)."""
    tagger = tieng.Tagger()
    seg = Segmenter()
    texts = [*SAMPLE.read_text(encoding="utf-8").splitlines()[:20], *TEXT.splitlines()]
    texts += [t.upper() for t in texts] + ["HÀ NỘI", "Hà"]
    for text in texts:
        words = seg(text).words
        starts = np.array([w.start for w in words], np.int64)
        ends = np.array([w.end for w in words], np.int64)
        one = tagger.tag_spans(text, starts, ends, np.array([0, len(words)], np.int64))
        general = tagger.tag_indices([w.text for w in words], np.array([0, len(words)]))
        assert one.tolist() == general.tolist(), text


def test_per_call_output_is_the_same_without_the_compiled_helpers():
    """segment_text, seg(text) with tags and confidences, line by line, with and without the
    compiled module (which then takes the batch path in Python)."""
    script = (
        "import json, sys, tieng\n"
        "texts = json.load(sys.stdin)\n"
        "seg = tieng.Segmenter()\n"
        "out = [seg.segment_text(t) for t in texts]\n"
        "out += [seg.segment_text(t, tags=True) for t in texts]\n"
        "out += [repr(seg(t, tags=True, confidence=True)) for t in texts]\n"
        "json.dump(out, sys.stdout)\n"
    )
    texts = [t for t in PER_CALL_TEXTS if len(t) < 300][:150]

    def run(pure: bool) -> list[str]:
        env = dict(os.environ)
        env.pop("TIENG_PURE_PYTHON", None)
        if pure:
            env["TIENG_PURE_PYTHON"] = "1"
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(texts),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(done.stdout)

    assert run(True) == run(False)


def _assert_paths_agree(seg: Segmenter, texts: list[str]) -> None:
    """The per-call path gives what the batch path gives, for every text and option."""
    for text in texts:
        for options in _OPTIONS:
            one, batch = _per_call_and_batch(seg, text, **options)
            assert one is None or one == batch, text


def test_foreign_word_shapes_take_the_same_path_both_ways(tiny_corpus):
    """A model with foreign-word shapes: the per-call path reads headings and foreign words
    as the batch path does."""
    from tieng.engine.features import Shape
    from tieng.training.segmenter import train

    sentences = [s.split() for s in tiny_corpus] * 4 + [["Tổng_thống", "Pháp", "Macron", "."]]
    model = train(sentences, hash_bits=12, max_iter=20, folds=2, l2=0.1, foreign=True)
    assert model.spec.foreign and Model.from_bytes(model.to_bytes()).spec.foreign
    seg = Segmenter(model)
    assert model.vocabulary.code("Macron") % Shape.COUNT == Shape.FOREIGN_TITLE
    assert model.vocabulary.code("quick") % Shape.COUNT == Shape.FOREIGN
    assert model.vocabulary.code("Pháp") % Shape.COUNT == Shape.TITLE
    _assert_paths_agree(
        seg,
        [
            *PER_CALL_TEXTS[:80],
            "The quick brown fox jumps over the lazy dog.",
            "Tổng Thống Pháp Macron Thăm Hà Nội",
            "TỔNG THỐNG PHÁP MACRON THĂM HÀ NỘI",
            "Macron Thăm Hà Nội Và Sài Gòn",
        ],
    )


def test_country_names_take_the_same_path_both_ways(tiny_corpus):
    """A model with country names: capitalized, they get their shape, in lower case and
    capitals they do not; sentences in Title Case or capitals read them as lower case, on
    the per-call path as on the batch path."""
    from tieng.engine.features import Shape
    from tieng.engine.vocabulary import Vocabulary
    from tieng.model import ModelError, _uncap
    from tieng.training.segmenter import train

    sentences = [s.split() for s in tiny_corpus] * 4 + [["Tổng_thống", "Pháp", "Macron", "."]]
    countries = ["Pháp", "Mỹ", "Việt"]
    model = train(sentences, hash_bits=12, max_iter=20, folds=2, l2=0.1, countries=countries)
    again = Model.from_bytes(model.to_bytes())
    assert again.spec.countries == again.vocabulary.countries == tuple(countries)
    shape = lambda token: model.vocabulary.code(token) % Shape.COUNT  # noqa: E731
    assert [shape(t) for t in ("Pháp", "pháp", "PHÁP", "Mỹ", "Hà")] == [
        Shape.COUNTRY,
        Shape.LOWER,
        Shape.UPPER,
        Shape.COUNTRY,
        Shape.TITLE,
    ]
    # In a heading a country's name is read as any capitalized word: lower case, or Title
    # at the start.
    heading = np.array([Shape.COUNTRY, Shape.TITLE, Shape.COUNTRY, Shape.TITLE, Shape.TITLE])
    starts = np.array([True, False, False, False, False])
    assert _uncap(heading, starts).tolist() == [Shape.TITLE] + [Shape.LOWER] * 4
    seg = Segmenter(model)
    _assert_paths_agree(
        seg,
        [
            *PER_CALL_TEXTS[:40],
            "Tổng thống Pháp Macron thăm Hà Nội.",
            "Pháp Và Mỹ Thăm Hà Nội Hôm Nay",
            "Việt Nam Và Pháp",
            "PHÁP VÀ MỸ THĂM HÀ NỘI",
        ],
    )
    with pytest.raises(ModelError, match="country names"):
        Model(
            Vocabulary(model.vocabulary.keys, model.spec.key_version),
            model.lexicon,
            model.weights,
            model.bias,
            model.spec,
            classes=model.classes,
        )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
            st.integers(0, 2**62),
            st.integers(-(2**40), 2**62),
            st.none() | st.text(st.characters(blacklist_categories=("Cs",)), max_size=3),
        ),
        max_size=8,
    ),
    st.booleans(),
)
def test_spans_json_writes_what_json_and_orjson_write(spans, tags):
    """The service's words, written in C, are the bytes orjson writes for the same dicts
    (and json, the pure-Python twin's), with their tags or without."""
    import orjson

    from tieng.values import Word

    words = [Word(t, a, b, None, tag) for t, a, b, tag in spans]
    dicts = [
        {"text": t, "start": a, "end": b, **({"tag": tag} if tags else {})}
        for t, a, b, tag in spans
    ]
    compiled = speedups.spans_json(words, tags)
    assert compiled == orjson.dumps(dicts)
    plain = json.dumps(dicts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert compiled == plain
    assert json.loads(compiled) == dicts
    from tieng.formats import spans_json

    with _accel.using(None):
        assert spans_json(words, tags) == compiled


def test_spans_json_refuses_what_is_not_utf8_or_not_spans():
    with pytest.raises(ValueError, match="surrogate"):
        speedups.spans_json([("\ud800", 0, 1)])
    with pytest.raises(TypeError):
        speedups.spans_json([("a", "0", 1)])
    with pytest.raises(TypeError):
        speedups.spans_json((("a", 0, 1),))
    with pytest.raises(TypeError, match="tag"):
        speedups.spans_json([("a", 0, 1, None, 5)], True)


# ------------------------------------------------------------------ syllable flags
FLAGGED_TEXTS = [
    "Sở Giáo dục và Đào tạo",
    "Bộ Khoa học và Công nghệ vừa công bố",
    "Ông Nguyễn Khắc Chúc đang làm việc tại Hà Nội. Bà Lan, vợ ông Chúc, cũng làm việc tại đây.",
    "Thủ Tướng Phạm Minh Chính Tiếp Đại Sứ Nhật Bản Tại Hà Nội",
    "THỦ TƯỚNG PHẠM MINH CHÍNH TIẾP ĐẠI SỨ NHẬT BẢN TẠI HÀ NỘI",
    "và các bạn đã về",
    "Và",
    "và và và",
    "Hôm nay. Bà Ba. Ông Tư! và",
]


def _flagged(model: Model) -> Model:
    """``model`` with syllable flags from a made-up corpus and name lists."""
    from tieng.training.segmenter import syllable_flags

    corpus = [["Ông", "Phạm_Minh_Chính", "và", "Nguyễn_Văn_An", "đã", "về", "."]] * 5
    flags = syllable_flags(
        model.vocabulary, corpus, family=["phạm", "nguyễn"], middle=["minh", "văn"],
        openers=["bà", "ông"], min_count=5, min_name_count=1,
    )  # fmt: skip
    return model.with_syllable_flags(flags)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(-20, 20, width=32) | st.just(float("-inf")), max_size=30),
    st.lists(st.integers(0, 5), min_size=30, max_size=30),
    st.lists(st.sampled_from([0, 8, 1, 9, 16]), min_size=6, max_size=6),
)
def test_tied_gaps_are_the_same_both_ways(scores, ids, flags):
    from tieng import _pure

    scores = np.array(scores, np.float32)
    ids = np.array(ids[: len(scores)], np.int64)
    flags = np.array(flags, np.uint8)
    compiled, pure = scores.copy(), scores.copy()
    speedups.tie_gaps(compiled, ids, flags)
    _pure.tie_gaps(pure, ids, flags)
    assert compiled.tobytes() == pure.tobytes()
    unglued = (flags[ids] & _pure.UNGLUED) != 0
    for i in np.flatnonzero(unglued).tolist():  # joined on both sides or on neither
        left = compiled[i - 1] if i else -np.inf
        assert (left > 0) == (compiled[i] > 0)
        if i == 0:
            assert compiled[0] == -np.inf
    free = ~unglued & ~np.append(unglued[1:], False)
    assert np.array_equal(compiled[free], scores[free])


def test_syllable_flags_take_the_same_path_both_ways():
    """A model with syllable flags: the per-call path, the batch path and the pure Python
    code read names in headings, openers after a sentence and unglued syllables alike."""
    seg = Segmenter(_flagged(Segmenter().model))
    _assert_paths_agree(seg, [*PER_CALL_TEXTS[:40], *FLAGGED_TEXTS])
    compiled = [seg(t).text for t in FLAGGED_TEXTS]
    with _accel.using(None):
        assert [r.text for r in Segmenter(seg.model).pipe(FLAGGED_TEXTS)] == compiled
    assert compiled[3].split()[1] == "Phạm_Minh_Chính"
    assert compiled[4].split()[1] == "PHẠM_MINH_CHÍNH"
    for text in compiled:  # "và" joined on both sides or on neither
        assert not any(w.startswith(("và_", "Và_")) or w.endswith("_và") for w in text.split())


def _packed(ids, own, shapes):
    """Tokens' packed codes (tieng.candidates): context id, own key id + 1, case shape."""
    return (
        (np.array(ids, np.int64) << 24)
        | ((np.array(own, np.int64) + 1) << 3)
        | np.array(shapes, np.int64)
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 9), min_size=1, max_size=40),  # context ids
    st.lists(st.integers(0, 3), min_size=40, max_size=40),  # shapes
    st.lists(st.integers(0, 2), min_size=40, max_size=40),  # line steps
    st.lists(st.integers(-128, 127), min_size=64, max_size=64),  # weights
    st.lists(st.sampled_from([-1, 2, 3, 4, 5]), min_size=40, max_size=40),  # own key ids
)
def test_restore_choices_are_the_same_both_ways(ids, shapes, steps, weights, own):
    """The restorer's compiled choices and their numpy twin (tieng.candidates), on crafted
    small models: ties to the first best, lone candidates, tokens left as written,
    neighbours across lines, capitals next to capitals."""
    from tieng import _pure
    from tieng.candidates import M1

    n = len(ids)
    packed = _packed(ids, own[:n], shapes[:n])
    line = np.cumsum(np.array(steps[:n], np.int64) == 0)
    offsets = np.array([0, 1, 3, 6, 8], np.int32)  # keys of 1, 2, 3 and 2 candidates
    candidates = np.array([0, 1, 2, 3, 4, 5, 6, 7], np.int32)
    classes = np.array([0, 1, 2, 3, 2, 5, 6, 7], np.int64)  # forms 2 and 4 share weights
    columns = np.array([[5, 5], [1, 5], [2, 5], [0, 1], [4, 5], [1, 2]], np.intp)
    seeds = np.arange(1, 7, dtype=np.uint64) * M1
    w = np.array(weights, np.int8)
    got = [np.empty(n, np.int64), np.empty(n, np.int64)]
    for module, out in zip((speedups, _pure), got):
        module.restore_choices(
            packed, line, offsets, candidates, classes, w, columns, seeds, 6, out
        )
    assert np.array_equal(got[0], got[1])
    for k, f in zip(own[:n], got[0].tolist()):
        if k < 0:
            assert f == -1
        else:
            assert offsets[k - 2] <= f < offsets[k - 1]


def test_restore_choices_refuse_indices_out_of_range():
    from tieng.candidates import M1

    z = np.zeros(1, np.int64)
    offsets = np.array([0, 2], np.int32)
    candidates = np.array([0, 1], np.int32)
    classes = np.zeros(2, np.int64)
    columns, seeds, w = np.array([[1, 5]], np.intp), np.array([M1], np.uint64), np.zeros(4, np.int8)
    good = _packed([0], [2], [0])
    for packed, offs, cands, cols in (
        (_packed([0], [3], [0]), offsets, candidates, columns),  # past the keys
        (good, offsets, np.array([0, 9], np.int32), columns),  # past the forms
        (good, np.array([0, 5], np.int32), candidates, columns),  # past the candidates
        (good, offsets, candidates, np.array([[1, 6]], np.intp)),  # no such column
    ):
        with pytest.raises(ValueError, match="restore_choices"):
            speedups.restore_choices(
                packed, z, offs, cands, classes, w, cols, seeds, 2, np.empty(1, np.int64)
            )
    out = np.empty(1, np.int64)
    speedups.restore_choices(good, z, offsets, candidates, classes, w, columns, seeds, 2, out)
    assert out[0] == 0  # (all weights 0: the first candidate)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdAZgh xyz,.09", max_size=60), st.data())
def test_write_forms_is_the_same_both_ways(text, data):
    from tieng import _pure

    lower = np.array([[ord(c) for c in "đường"], [ord(c) for c in "ở\0\0\0\0"]], np.uint32)
    upper = np.array([[ord(c) for c in "ĐƯỜNG"], [ord(c) for c in "Ở\0\0\0\0"]], np.uint32)
    lengths = np.array([5, 1], np.int64)
    chars = np.array([ord(c) for c in text], np.uint32)
    # syllables never overlap: each form in a slot of its own, six characters apart
    forms = np.array(data.draw(st.lists(st.integers(0, 1), max_size=3)), np.int64)
    starts = np.array([6 * k + data.draw(st.integers(0, 1)) for k in range(len(forms))], np.int64)
    if any(s + lengths[f] > len(text) for s, f in zip(starts, forms)):
        with pytest.raises(ValueError, match="write_forms"):
            speedups.write_forms(chars.copy(), starts, forms, lower, upper, lengths)
        return
    a, b = chars.copy(), chars.copy()
    speedups.write_forms(a, starts, forms, lower, upper, lengths)
    _pure.write_forms(b, starts, forms, lower, upper, lengths)
    assert np.array_equal(a, b)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples()
        | st.tuples(st.integers(0, 1 << 40))
        | st.tuples(st.integers(0, 1 << 33), st.integers(0, 9), st.booleans().map(int)),
        max_size=50,
    ),
    st.integers(1, 24),
)
def test_parser_rows_are_the_same_both_ways(values, bits):
    from tieng import _pure

    assert speedups.parser_rows(values, bits) == _pure.parser_rows(values, bits)
    assert all(0 <= r < 1 << bits for r in speedups.parser_rows(values, bits))
    with pytest.raises(TypeError):
        speedups.parser_rows([[1]], bits)
    with pytest.raises(OverflowError):
        speedups.parser_rows([(-1,)], bits)
