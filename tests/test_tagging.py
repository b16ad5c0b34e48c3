"""Part-of-speech tagging: the bundled tagger on handwritten sentences, a tiny model trained,
saved and loaded, the compiled and Python decoders, the model file's checks."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tieng
from tieng import ModelError, Segmenter, Tagger, TaggerModel, _accel
from tieng import tagging as tagging_module
from tieng.cli import main
from tieng.tagging import UPOS, decode, word_key, word_shape
from tieng.training.evaluation import evaluate_tags
from tieng.training.tagger import accuracy, read_tagged, train_tagger

SENTENCES = [  # written for the project, tagged by hand in the VLSP 2013 convention
    [("Tôi", "P"), ("là", "V"), ("sinh viên", "N"), (".", "CH")],
    [("Hà Nội", "Np"), ("có", "V"), ("nhiều", "A"), ("hồ", "N"), (".", "CH")],
    [("Học sinh", "N"), ("đang", "R"), ("đọc", "V"), ("sách", "N"), ("ở", "E"), ("thư viện", "N")],
    [("Chính phủ", "N"), ("sẽ", "R"), ("xây dựng", "V"), ("hai", "M"), ("cây cầu", "N")],
    [("Những", "L"), ("ngôi nhà", "N"), ("này", "P"), ("rất", "R"), ("đẹp", "A"), (".", "CH")],
]


@pytest.fixture(scope="module")
def tagger():
    return Tagger()


def test_the_bundled_tagger_on_plain_sentences(tagger):
    got = tagger.tag_words([[w for w, _ in s] for s in SENTENCES])
    assert got == [[t for _, t in s] for s in SENTENCES]
    assert accuracy(tagger, SENTENCES) == 1.0


def test_tags_of_raw_text_through_the_segmenter():
    doc = tieng.tag("Học sinh đang đọc sách ở thư viện.")
    assert [(w.text, w.tag) for w in doc] == [
        ("Học sinh", "N"),
        ("đang", "R"),
        ("đọc", "V"),
        ("sách", "N"),
        ("ở", "E"),
        ("thư viện", "N"),
        (".", "CH"),
    ]
    assert doc.tagged == "Học_sinh/N đang/R đọc/V sách/N ở/E thư_viện/N ./CH"
    assert tieng.segment("Trời mưa").words[0].tag is None  # only when asked for


def test_case_and_tone_style_do_not_change_the_tags(tagger):
    plain = ["Chính phủ", "sẽ", "xây dựng", "hai", "cây cầu", "ở", "Hoà Bình"]
    want = tagger.tag_words([plain])[0]
    assert want == ["N", "R", "V", "M", "N", "E", "Np"]
    assert tagger.tag_words([[w.replace("Hoà", "Hòa") for w in plain]])[0] == want
    # An ALL CAPS sentence reads as the same sentence in sentence case (names cannot be
    # told by their capitals there).
    caps = [w.upper() for w in plain]
    sentence_case = [plain[0]] + [w.lower() for w in plain[1:]]
    assert tagger.tag_words([caps]) == tagger.tag_words([sentence_case])
    assert tagger.tag_words([caps])[0][:6] == want[:6]


def test_empty_input_and_bad_input(tagger):
    assert tagger.tag_words([]) == []
    assert tagger.tag_words([[]]) == [[]]
    with pytest.raises(TypeError, match="sequence of words"):
        tagger.tag_words(["Hà Nội mưa"])
    with pytest.raises(TypeError, match="str"):
        tagger.tag_words([["Hà Nội", 3]])


def test_word_key_and_shape():
    assert word_key("Thủ  Tướng") == "thủ_tướng"
    assert word_key("năm 2004") == "năm_0000"
    assert word_shape("Hà Nội") == tagging_module.WordShape.TITLE
    assert word_shape("HÀ NỘI") == tagging_module.WordShape.UPPER
    assert word_shape("...") == tagging_module.WordShape.PUNCT


def test_every_tag_has_a_universal_tag(tagger):
    assert set(tagger.tags) <= set(UPOS)
    assert set(UPOS.values()) <= {
        "NOUN", "PROPN", "VERB", "ADJ", "PRON", "ADV", "DET", "NUM", "ADP", "SCONJ", "CCONJ",
        "INTJ", "PART", "X", "PUNCT",
    }  # fmt: skip
    assert tieng.upos("unknown") == "X"


# ------------------------------------------------------------------ a tiny model
@pytest.fixture(scope="module")
def tiny():
    return train_tagger(SENTENCES * 4, epochs=3, bits=12, folds=2, block=5)


def test_a_tiny_model_learns_its_corpus_and_round_trips(tiny, tmp_path):
    t = Tagger(tiny)
    assert accuracy(t, SENTENCES) == 1.0
    path = tmp_path / "tiny.tieng"
    tiny.save(path)
    again = TaggerModel.load(path)
    assert again.to_bytes() == path.read_bytes()
    assert again.tags == tiny.tags and again.metadata["epochs"] == 3
    assert Tagger(path).tag_words([["Tôi", "là", "sinh viên"]]) == [["P", "V", "N"]]
    assert np.array_equal(again.weights, tiny.weights)


def test_the_compiled_and_python_decoders_agree(tiny, tagger, monkeypatch):
    if _accel.speedups is None:
        pytest.skip("the compiled helpers are not in use (TIENG_PURE_PYTHON, or not built)")
    sents = [[w for w, _ in s] for s in SENTENCES] + [
        ["Ông", "Nguyễn Văn An", ",", "45", "tuổi", ",", "làm", "kỹ sư", "phần mềm", "."],
        ["XYZ", "qwerty", "!!!", "2.500", "đồng"],
        ["một"],
    ] * 3
    # 2^3 weight rows: the compiled decoder reads 32 bytes a row of fewer tags, the last rows
    # from a padded copy, and most rows here are such rows.
    small = train_tagger(SENTENCES * 4, epochs=3, bits=3, folds=2, block=5)
    assert small.weights.shape[1] < 16 and np.count_nonzero(small.weights[-2:])
    for model in (tagger, Tagger(tiny), Tagger(small)):
        compiled = model.tag_words(sents)
        with _accel.using(None):
            assert model.tag_words(sents) == compiled


def test_decode_breaks_ties_towards_the_lower_tag():
    weights = np.zeros((4, 3), np.int8)
    transitions = np.zeros((4, 3), np.int32)
    rows = np.zeros((3, 1), np.uint32)
    out = decode(rows, weights, transitions, np.array([0, 2, 3]))
    assert out.tolist() == [0, 0, 0]


def test_a_tagger_pickles_as_its_source(tagger):
    data = pickle.dumps(tagger)
    assert len(data) < 500
    assert pickle.loads(data).tag_words([["Tôi", "đi", "học"]]) == tagger.tag_words(
        [["Tôi", "đi", "học"]]
    )
    seg = Segmenter(tagger=tagger)
    assert len(pickle.dumps(seg)) < 1000
    assert pickle.loads(pickle.dumps(seg))("Tôi đi học", tags=True) == seg("Tôi đi học", tags=True)


# ------------------------------------------------------------------ the model file
def test_a_corrupt_or_wrong_model_file_is_a_clear_error(tiny, tmp_path):
    data = bytearray(tiny.to_bytes())
    data[-5] ^= 0xFF
    with pytest.raises(ModelError, match="checksum"):
        TaggerModel.from_bytes(bytes(data))
    with pytest.raises(ModelError, match="truncated"):
        TaggerModel.from_bytes(tiny.to_bytes()[:-10])
    with pytest.raises(ModelError, match="not a tagger model"):
        Tagger(Segmenter().model.to_bytes())
    with pytest.raises(ModelError, match="not a segmentation model"):
        Segmenter(tiny.to_bytes())
    with pytest.raises(ModelError, match="not found"):
        Tagger(tmp_path / "nothing.tieng")
    with pytest.raises(TypeError, match="TaggerModel"):
        Tagger(3.5)


def test_training_refuses_what_it_cannot_use():
    with pytest.raises(ValueError, match="no tagged sentences"):
        train_tagger([])


def test_read_tagged_says_where_a_token_has_no_tag(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("Tôi/P là/V\nsinh_viên ./CH\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.txt, line 2: 'sinh_viên' is not word/TAG"):
        read_tagged(path)


# ------------------------------------------------------------------ evaluation
def test_tag_scores_with_gold_words_and_with_other_words():
    gold = ["Hà_Nội/Np có/V nhiều/A hồ/N ./CH"]
    s = evaluate_tags(gold, ["Hà_Nội/Np có/V nhiều/A hồ/V ./CH"])
    assert s.accuracy == 80.0 and s.segmentation_f1 == 100.0 and s.f1 == 80.0
    s = evaluate_tags(gold, ["Hà/Np Nội/Np có/V nhiều/A hồ/N ./CH"])
    assert s.accuracy is None
    assert s.correct_words == 4 and s.gold_words == 5 and s.predicted_words == 6
    with pytest.raises(ValueError, match="differ"):
        evaluate_tags(gold, ["Hà_Nội/Np có/V ./CH"])


# ------------------------------------------------------------------ the command line
def test_tieng_tag_text_jsonl_and_conllu(tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_text("Tôi là sinh viên.\nHà Nội có nhiều hồ.\n", encoding="utf-8")
    assert main(["tag", str(path), "-q"]) == 0
    assert (
        capsys.readouterr().out == "Tôi/P là/V sinh_viên/N ./CH\nHà_Nội/Np có/V nhiều/A hồ/N ./CH\n"
    )
    assert main(["tag", str(path), "-q", "--to", "conllu"]) == 0
    rows = [r.split("\t") for r in capsys.readouterr().out.splitlines() if r and r[0] != "#"]
    assert [(r[1], r[3], r[4]) for r in rows[:4]] == [
        ("Tôi", "PRON", "P"),
        ("là", "VERB", "V"),
        ("sinh viên", "NOUN", "N"),
        (".", "PUNCT", "CH"),
    ]
    seg = tmp_path / "seg.txt"
    seg.write_text("Tôi là sinh_viên .\n", encoding="utf-8")
    assert main(["tag", "--segmented", str(seg), "-q"]) == 0
    assert capsys.readouterr().out == "Tôi/P là/V sinh_viên/N ./CH\n"
    assert main(["tag", "--segmented", "--to", "jsonl", str(seg), "-q"]) == 0
    out = capsys.readouterr().out
    assert (
        '"words": ["Tôi", "là", "sinh_viên", "."]' in out and '"tags": ["P", "V", "N", "CH"]' in out
    )


def test_tieng_tag_refuses_options_that_do_not_fit(tmp_path, capsys):
    path = tmp_path / "in.txt"
    path.write_text("Tôi là sinh_viên .\n", encoding="utf-8")
    assert main(["tag", "--segmented", "--sentences", str(path)]) == 2
    assert "segmented already" in capsys.readouterr().err
    assert main(["tag", "--tagger", str(tmp_path / "none.tieng"), str(path)]) == 2
    assert "not found" in capsys.readouterr().err


def test_train_tagger_and_evaluate_on_the_command_line(tmp_path, capsys):
    corpus = tmp_path / "pos.txt"
    lines = [" ".join(f"{w.replace(' ', '_')}/{t}" for w, t in s) for s in SENTENCES * 4]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = tmp_path / "pos.tieng"
    assert main(["train-tagger", str(corpus), "-o", str(model), "--epochs", "2",
                 "--hash-bits", "12", "-q"]) == 0  # fmt: skip
    assert TaggerModel.load(model).metadata["corpus"] == ["pos.txt"]
    gold = tmp_path / "gold.txt"
    gold.write_text("\n".join(lines[:5]) + "\n", encoding="utf-8")
    words = tmp_path / "words.txt"
    words.write_text(
        "\n".join(" ".join(w.rpartition("/")[0] for w in ln.split()) for ln in lines[:5]) + "\n",
        encoding="utf-8",
    )
    pred = tmp_path / "pred.txt"
    assert (
        main(["tag", "--segmented", "--tagger", str(model), str(words), "-o", str(pred), "-q"]) == 0
    )
    assert main(["evaluate", "--task", "pos", str(gold), str(pred)]) == 0
    out = capsys.readouterr().out
    assert "accuracy         100.00" in out and "span+tag F1      100.00" in out
    assert main(["train-tagger", str(tmp_path / "none.txt"), "-o", str(model)]) == 2
    assert "no such file" in capsys.readouterr().err


def test_many_sentences_are_tagged_in_chunks_with_the_same_tags(tagger, monkeypatch):
    sents = [[w for w, _ in s] for s in SENTENCES] * 7
    whole = tagger.tag_words(sents)
    monkeypatch.setattr(tagging_module, "_CHUNK_WORDS", 5)
    assert tagger.tag_words(iter(sents)) == whole


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=12), min_size=0, max_size=30))
def test_any_words_get_tags_and_both_decoders_agree(words):
    tagger = Tagger()
    got = tagger.tag_words([words])
    assert len(got[0]) == len(words) and all(t in tagger.tags for t in got[0])
    if _accel.speedups is not None:
        with _accel.using(None):
            assert tagger.tag_words([words]) == got


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gets_tags_for_exactly_its_words(text):
    seg = Segmenter()
    doc = seg(text, tags=True)
    assert [w[:3] for w in doc.words] == [w[:3] for w in seg(text).words]
    assert all(w.tag is not None for w in doc.words)
    assert doc.tagged == seg.segment_text(text, tags=True)


def test_runs_are_averaged_and_recorded():
    model = train_tagger(SENTENCES * 4, epochs=2, bits=12, folds=2, block=5, runs=2)
    assert model.metadata["runs"] == 2
    assert accuracy(Tagger(model), SENTENCES) == 1.0
    with pytest.raises(ValueError, match="runs"):
        train_tagger(SENTENCES, runs=0)


def test_crafted_taggers_beyond_the_decoder_limits_are_refused_at_load(tiny):
    """Templates repeated hundreds of times, or transitions near the limits of 32-bit sums,
    would fail or overflow at the first sentence: refused when the model is made."""
    import dataclasses

    from tieng.model import ModelError

    with pytest.raises(ModelError, match="feature templates"):
        dataclasses.replace(tiny, templates=tiny.templates * 400)
    with pytest.raises(ModelError, match="parts"):
        dataclasses.replace(tiny, templates=((("key", 0),) * 9,))
    big = tiny.transitions.copy()
    big[0, 0] = 2**31 - 1
    with pytest.raises(ModelError, match="transitions beyond"):
        dataclasses.replace(tiny, transitions=big)


def test_a_lone_x_is_tagged_as_the_treebank_tags_it(tagger):
    """The training file tags a lone `x` CH in 13 of 18 cases (the multiplication sign of
    `4 x 10 m`): the tagger follows it, with nothing around it, and lets context decide
    elsewhere (docs/MODEL_CARD.md: the decision of issue 32)."""
    assert tagger.tag_words([["x"]]) == [["CH"]]
    assert tagger.tag_words([["Ông", "X", "nói", "rằng"]])[0][1] == "Np"


def test_one_long_sentence_among_many_short_ones_is_decoded_in_bounded_memory():
    """The numpy decoder once took (longest sentence x sentences x tags) bytes: 12 GB for one
    20,000-word sentence among 20,000 one-word ones.  Decoded in groups now, the same tags."""
    import tracemalloc

    tagger = Tagger()
    long = ["Hà Nội", "có", "nhiều", "hồ", "đẹp", "."] * 3_000
    short = [["mưa"], ["Nam"], ["đẹp"]] * 3_000
    with _accel.using(None):
        tracemalloc.start()
        try:
            got = tagger.tag_words([long, *short])
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 400 << 20  # (about 150 MB; 500 MB would have been the one group)
    assert got[0][:6] == tagger.tag_words([long[:6]])[0]
    assert got[1:4] == tagger.tag_words(short[:3])


def test_a_bundled_model_of_the_other_kind_is_named_as_such(capsys, tmp_path):
    """`tieng tag --model vlsp2013-pos` once said `model file not found`."""
    with pytest.raises(ModelError, match="a bundled tagger model, where a segmenter model is"):
        Segmenter("vlsp2013-pos")
    with pytest.raises(ModelError, match="a bundled segmenter model, where a tagger model is"):
        Tagger("vlsp2013")
    src = tmp_path / "in.txt"
    src.write_text("Hà Nội\n", encoding="utf-8")
    assert main(["tag", "--model", "vlsp2013-pos", str(src)]) == 2
    assert "--tagger on the command line" in capsys.readouterr().err
