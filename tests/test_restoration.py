"""Restoring diacritics (issue 41): tieng.restore, the Restorer, its model file, its training,
and text typed without marks read through it."""

import pickle
import re
import subprocess
import sys

import numpy as np
import pytest

import tieng
from tieng import _accel
from tieng.cli import main
from tieng.container import ModelError
from tieng.normalization import remove_diacritics
from tieng.restoration import Restorer, RestorerModel, bare_key
from tieng.training.evaluation import restoration_scores
from tieng.training.restorer import restoration_accuracy, train_restorer

# Text written for the tests, with its marks: the bundled model restores each line from its
# bare form exactly (what the bundled model gets right, so that a worse model fails here).
SENTENCES = [
    "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm.",
    "Tôi yêu tiếng Việt.",
    "Hà Nội có nhiều hồ đẹp.",
    "Chúng ta có thể làm được.",
    "Học sinh được nghỉ học vì trời mưa to.",
    "Người dân đi làm bằng xe máy.",
    "Chính phủ đã có văn bản giao cho các bộ.",
]

TINY_TEXT = [
    "Tôi yêu tiếng Việt",
    "Tôi ở Hà Nội",
    "Hà Nội có hồ đẹp",
    "Bạn bán bàn ở chợ",
    "Cái bàn của bạn",
    "Bạn của tôi ở Hà Nội",
]


@pytest.fixture(scope="module")
def tiny_restorer():
    return train_restorer(TINY_TEXT * 10, bits=12, epochs=3, batch=20)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_restores_sentences_written_for_the_tests(sentence):
    assert tieng.restore(remove_diacritics(sentence)) == sentence


def test_a_known_word_restores_as_a_unit():
    assert tieng.restore("tau dien ngam") == "tàu điện ngầm"


def test_only_letters_change_and_nothing_moves():
    """Numbers, URLs, e-mail addresses, marked syllables and foreign words stay; the
    result has the input's length and the same character at every place but letters."""
    text = "email cua toi la test@gmail.com, xem https://vnexpress.net/tin-tuc luc 8h30 nhe"
    out = tieng.restore(text)
    assert out.startswith("email của tôi là test@gmail.com, xem https://vnexpress.net/tin-tuc")
    assert "8h30" in out
    assert len(out) == len(text)
    assert remove_diacritics(out) == text


def test_case_is_kept():
    assert tieng.restore("Ha Noi") == "Hà Nội"
    assert tieng.restore("HA NOI CO NHIEU HO") == "HÀ NỘI CÓ NHIỀU HỒ"
    assert tieng.restore("ha noi") == "hà nội"
    # a word in capitals among lower-case ones is an abbreviation: left as written
    assert tieng.restore("Toi lam viec o WHO") == "Tôi làm việc ở WHO"


def test_syllables_with_marks_are_kept_and_mixed_text_is_read_syllable_by_syllable():
    assert tieng.restore("Hà Noi có nhieu hồ") == "Hà Nội có nhiều hồ"
    # a syllable written with marks is never rewritten, even a rare spelling of it
    assert tieng.restore("hoà bình") == "hoà bình"


def test_odd_input():
    assert tieng.restore("") == ""
    assert tieng.restore("   \n\t") == "   \n\t"
    assert tieng.restore("12345 !!! ???") == "12345 !!! ???"
    assert tieng.restore("Ha Noi\nSai Gon\r\nDa Nang") == "Hà Nội\nSài Gòn\r\nĐà Nẵng"
    with pytest.raises(TypeError, match="expected str"):
        tieng.restore(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        tieng.Restorer().restore_many(["a", 3])  # type: ignore[list-item]


def test_restore_many_is_restore_of_each():
    texts = [remove_diacritics(s) for s in SENTENCES] + ["", "Ha Noi"]
    r = Restorer()
    assert r.restore_many(texts) == [r.restore(t) for t in texts]


def test_syllables_with_confidence():
    syl = Restorer().syllables("Ban toi o Ha Noi, 2024", confidence=True)
    assert [s.original for s in syl] == ["Ban", "toi", "o", "Ha", "Noi"]
    assert [s.text for s in syl] == ["Bạn", "tôi", "ở", "Hà", "Nội"]
    assert all(0 < s.confidence <= 1 for s in syl)
    # ambiguous on its own, sure in its context
    assert Restorer().syllables("ban", confidence=True)[0].confidence < 0.9
    assert Restorer().syllables("Ha Noi")[0].confidence is None


def test_pure_python_path_gives_the_same(tiny_restorer):
    texts = [remove_diacritics(s) for s in SENTENCES] + ["TP. HCM, 8h30 ... Ha Noi?!"]
    compiled = Restorer().restore_many(texts)
    with _accel.using(None):
        assert Restorer().restore_many(texts) == compiled


def test_restorer_pickles_cheaply():
    r = Restorer()
    r.restore("Ha Noi")
    data = pickle.dumps(r)
    assert len(data) < 500
    assert pickle.loads(data).restore("Ha Noi") == "Hà Nội"


def test_bare_key():
    assert bare_key("Đường") == "duong"
    assert bare_key("2024") == "0000"
    assert bare_key("HOÀ") == "hoa"


# ------------------------------------------------------------------ model file
def test_model_file_round_trip(tiny_restorer, tmp_path):
    path = tmp_path / "r.tieng"
    tiny_restorer.save(path)
    again = RestorerModel.load(path)
    assert again.keys == tiny_restorer.keys and again.forms == tiny_restorer.forms
    assert np.array_equal(again.weights, tiny_restorer.weights)
    text = "Ban toi o Ha Noi"
    assert Restorer(path).restore(text) == Restorer(tiny_restorer).restore(text)


def test_corrupt_model_files_are_refused(tiny_restorer, tmp_path):
    data = tiny_restorer.to_bytes()
    with pytest.raises(ModelError, match="truncated"):
        RestorerModel.from_bytes(data[:-10])
    flipped = bytearray(data)
    flipped[-5] ^= 0xFF
    with pytest.raises(ModelError, match="checksum"):
        RestorerModel.from_bytes(bytes(flipped))
    with pytest.raises(ModelError, match="not a restorer model"):
        RestorerModel.from_bytes(tieng.Segmenter().model.to_bytes())
    with pytest.raises(ModelError, match="bundled segmenter model"):
        Restorer("vlsp2013")
    bad = tmp_path / "bad.tieng"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError):
        Restorer(bad).restore("Ha Noi")


def test_a_candidate_must_be_a_form_of_its_key(tiny_restorer):
    m = tiny_restorer
    forms = list(m.forms)
    forms[0] = "xyz" if forms[0] != "xyz" else "abc"
    with pytest.raises(ModelError, match="not a form of"):
        RestorerModel(m.keys, forms, m.offsets, m.candidates, m.weights, m.scale, m.templates)


# ------------------------------------------------------------------ training
def test_training_learns_from_context(tiny_restorer):
    r = Restorer(tiny_restorer)
    assert r.restore("Toi o Ha Noi") == "Tôi ở Hà Nội"
    assert r.restore("Ban ban ban o cho") == "Bạn bán bàn ở chợ"  # one key, three forms
    assert r.restore("Cai ban cua ban") == "Cái bàn của bạn"
    assert restoration_accuracy(r, TINY_TEXT) == 100.0


def test_train_restorer_command(tmp_path):
    text = tmp_path / "text.txt"
    text.write_text("\n".join(TINY_TEXT * 10), encoding="utf-8")
    out = tmp_path / "mine.tieng"
    argv = ["train-restorer", str(text), "-o", str(out), "--hash-bits", "12", "-q"]
    assert main(argv) == 0
    raw = tmp_path / "raw.txt"
    raw.write_text("Toi o Ha Noi\n", encoding="utf-8")
    pred = tmp_path / "pred.txt"
    assert main(["restore", "--restorer", str(out), str(raw), "-o", str(pred), "-q"]) == 0
    assert pred.read_text(encoding="utf-8") == "Tôi ở Hà Nội\n"
    assert main(["train-restorer", str(tmp_path / "none.txt"), "-o", str(out)]) == 2


# ------------------------------------------------------------------ scoring
def test_restoration_scores():
    s = restoration_scores(["Tôi yêu tiếng Việt .", "Hà_Nội"], ["Tôi yêu tiếng Viet .", "Hà_Nội"])
    assert (s.syllables, s.words, s.sentences) == (6, 5, 2)
    assert s.syllable_accuracy == pytest.approx(500 / 6)
    assert s.word_accuracy == 80.0 and s.sentence_accuracy == 50.0
    with pytest.raises(ValueError, match="line 1"):
        restoration_scores(["Tôi yêu"], ["Toi yeu em"])


def test_evaluate_restore_command(tmp_path, capsys):
    gold = tmp_path / "gold.txt"
    pred = tmp_path / "pred.txt"
    gold.write_text("Tôi yêu tiếng Việt\nHà Nội\n", encoding="utf-8")
    pred.write_text("Tôi yêu tiếng Viet\nHà Nội\n", encoding="utf-8")
    assert main(["evaluate", "--task", "restore", str(gold), str(pred)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"syllables\s+83\.33", out) and re.search(r"sentences\s+50\.00", out)
    pred.write_text("Toi\nHa Noi\n", encoding="utf-8")
    assert main(["evaluate", "--task", "restore", str(gold), str(pred)]) == 2


# ------------------------------------------------------------------ through the segmenter
def test_restore_option_adds_the_restored_text():
    doc = tieng.segment("Thanh pho se dau tu", restore=True)
    assert doc.restored == "Thành phố sẽ đầu tư"
    assert [w.text for w in doc] == ["Thanh pho", "se", "dau tu"]  # the user's characters
    assert tieng.segment("Thanh pho").restored is None


def test_tags_of_text_typed_without_marks_are_read_from_it_restored():
    bare = tieng.tag("Thanh pho se dau tu xay dung tau dien ngam")
    marked = tieng.tag("Thành phố sẽ đầu tư xây dựng tàu điện ngầm")
    assert bare.model == "vlsp2013-unaccented"
    assert [w.tag for w in bare] == [w.tag for w in marked] == ["N", "R", "V", "V", "N"]
    assert tieng.segment_text("Thanh pho se dau tu", tags=True) == "Thanh_pho/N se/R dau_tu/V"
    # the model for such text, chosen by name, reads its tags the same way
    named = tieng.Segmenter("vlsp2013-unaccented")("Thanh pho se dau tu", tags=True)
    assert [w.tag for w in named] == ["N", "R", "V"]


def test_pipe_with_restore_in_worker_processes():
    texts = ["Ha Noi co nhieu ho", None, "Hà Nội có nhiều hồ", "Toi yeu\nHa Noi"]
    seg = tieng.Segmenter()
    one = [d and (d.text, d.restored, d.tagged) for d in seg.pipe(texts, restore=True, tags=True)]
    two = [
        d and (d.text, d.restored, d.tagged)
        for d in seg.pipe(texts, restore=True, tags=True, n_process=2, batch_size=1)
    ]
    assert one == two
    assert one[0][1] == "Hà Nội có nhiều hồ" and one[1] is None
    assert one[3][1] == "Tôi yêu\nHà Nội"


def test_accented_text_is_untouched_by_the_new_route():
    text = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm."
    doc = tieng.tag(text)
    assert doc.tagged == "Thành_phố/N sẽ/R đầu_tư/V xây_dựng/V hai/M tuyến/N tàu_điện_ngầm/N ./CH"


# ------------------------------------------------------------------ command line
def test_restore_command(tmp_path):
    src = tmp_path / "in.txt"
    src.write_bytes(b"Toi yeu tieng Viet\r\nemail: a@b.vn\n\nHa Noi")
    r = subprocess.run(
        [sys.executable, "-m", "tieng", "restore", str(src)], capture_output=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "Tôi yêu tiếng Việt\r\nemail: a@b.vn\n\nHà Nội"


def test_restore_command_jsonl_and_errors(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Ha Noi", "id": 1}\n{"id": 2}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["restore", str(src), "-o", str(out), "-q"]) == 2  # the second record fails
    assert not out.exists()
    assert "line 2: no field 'text'" in capsys.readouterr().err
    src.write_text('{"text": "Ha Noi", "id": 1}\n', encoding="utf-8")
    assert main(["restore", str(src), "-o", str(out), "-q"]) == 0
    assert out.read_text(encoding="utf-8") == '{"text": "Ha Noi", "id": 1, "tieng": "Hà Nội"}\n'
    assert main(["restore", str(tmp_path / "missing.txt")]) == 2
    with pytest.raises(SystemExit):
        main(["restore", "--to", "conllu", str(src)])


def test_segment_command_restore_field(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Ha Noi co nhieu ho\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", "--to", "jsonl", "--restore", str(src), "-o", str(out), "-q"]) == 0
    assert '"restored": "Hà Nội có nhiều hồ"' in out.read_text(encoding="utf-8")
    assert main(["segment", "--restore", str(src), "-q"]) == 2  # (text output has no field)


def test_the_command_line_names_the_models_that_read_text_without_marks(tmp_path):
    src = tmp_path / "chat.txt"
    src.write_text("Thanh pho se dau tu xay dung tau dien ngam\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "tieng", "tag", str(src)], capture_output=True, timeout=120
    )
    assert r.returncode == 0
    err = r.stderr.decode()
    assert err.count("vlsp2013-unaccented") == 1 and "viwiki-restorer" in err
    assert r.stdout.decode().startswith("Thanh_pho/N se/R dau_tu/V")


def test_info_describes_the_restorer(capsys):
    assert main(["info", "--restorer"]) == 0
    out = capsys.readouterr().out
    assert "CC-BY-SA-4.0" in out and "viwiki-restorer" in out
    assert main(["info", "--restorer", "--json"]) == 0
    assert '"temperature"' in capsys.readouterr().out
