"""The dependency parser's groundwork (issue 42): its training, its trees, its model file."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tieng.container import ModelError
from tieng.parsing import Parser, ParserModel
from tieng.training.parser import attachment_scores, read_conllu, train_parser

# A treebank written for the tests (form, tag, head, relation).
TREES = [
    [("Tôi", "P", 2, "nsubj"), ("đọc", "V", 0, "root"), ("sách", "N", 2, "obj"),
     (".", "CH", 2, "punct")],
    [("Nam", "Np", 2, "nsubj"), ("mua", "V", 0, "root"), ("hai", "M", 4, "nummod"),
     ("quyển", "Nc", 2, "obj"), ("sách", "N", 4, "nmod"), (".", "CH", 2, "punct")],
    [("Trời", "N", 2, "nsubj"), ("mưa", "V", 0, "root"), ("to", "A", 2, "advmod:adj")],
    [("Học sinh", "N", 2, "nsubj"), ("đi", "V", 0, "root"), ("học", "V", 2, "xcomp"),
     ("ở", "E", 5, "case"), ("Hà Nội", "Np", 3, "obl"), (".", "CH", 2, "punct")],
]  # fmt: skip


@pytest.fixture(scope="module")
def model():
    return train_parser(TREES * 10, epochs=6, bits=12, label_bits=10)


def test_training_fits_a_small_treebank(model):
    uas, las = attachment_scores(model, TREES)
    assert uas == 100.0 and las == 100.0
    ((heads, rels),) = Parser(model).parse([["Tôi", "mua", "sách", "."]], [["P", "V", "N", "CH"]])
    assert heads == [2, 0, 2, 2] and rels == ["nsubj", "root", "obj", "punct"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["Tôi", "đọc", "sách", ".", "Hà Nội", "mưa", "x"]), max_size=30))
def test_every_sentence_gets_a_tree(model, words):
    tags = ["N"] * len(words)
    ((heads, rels),) = Parser(model).parse([words], [tags])
    assert len(heads) == len(rels) == len(words)
    if not words:
        return
    assert heads.count(0) == 1 and rels[heads.index(0)] == "root"
    assert rels.count("root") == 1
    for d in range(1, len(words) + 1):  # every word reaches the root, no cycle
        seen, x = set(), d
        while x != 0:
            assert x not in seen and 1 <= x <= len(words)
            seen.add(x)
            x = heads[x - 1]


def test_model_file_round_trip_and_corrupt_files(model, tmp_path):
    path = tmp_path / "p.tieng"
    model.save(path)
    again = ParserModel.load(path)
    assert again.labels == model.labels
    assert np.array_equal(again.weights, model.weights)
    data = path.read_bytes()
    with pytest.raises(ModelError, match="truncated"):
        ParserModel.from_bytes(data[:-7])
    with pytest.raises(ModelError, match="not a parser model"):
        ParserModel.from_bytes(__import__("tieng").Segmenter().model.to_bytes())
    words = [["Nam", "đọc", "sách"]]
    assert Parser(path).parse(words, [["Np", "V", "N"]]) == Parser(model).parse(
        words, [["Np", "V", "N"]]
    )


def test_read_conllu(tmp_path):
    f = tmp_path / "t.conllu"
    f.write_text(
        "# text = Tôi đọc\n1\tTôi\ttôi\tPRON\tP\t_\t2\tnsubj\t_\t_\n"
        "2\tđọc\tđọc\tVERB\tV\t_\t0\troot\t_\t_\n\n",
        encoding="utf-8",
    )
    assert read_conllu(str(f)) == [[("Tôi", "P", 2, "nsubj"), ("đọc", "V", 0, "root")]]
    assert read_conllu(str(f), tag_column=3)[0][0][1] == "PRON"


# ------------------------------------------------------------------ the stage in the pipeline
def _is_tree(words):
    heads = [w.head for w in words]
    assert heads.count(0) == 1 and [w.deprel for w in words].count("root") == 1
    for d in range(1, len(words) + 1):
        seen, x = set(), d
        while x != 0:
            assert x not in seen and 1 <= x <= len(words)
            seen.add(x)
            x = heads[x - 1]


def test_parse_option_gives_each_word_its_head_and_relation():
    import tieng

    doc = tieng.segment("Tôi đọc sách. Trời mưa to.", parse=True)
    assert doc.sentences is not None and len(doc.sentences) == 2
    for sentence in doc.sentences:
        _is_tree(sentence)
        assert all(w.tag is not None and w.deprel for w in sentence)
    first = doc.sentences[0]
    assert [(w.text, w.head, w.deprel) for w in first] == [
        ("Tôi", 2, "nsubj"),
        ("đọc", 0, "root"),
        ("sách", 2, "obj"),
        (".", 2, "punct"),
    ]
    plain = tieng.segment("Tôi đọc sách.")
    assert all(w.head is None and w.deprel is None for w in plain)


def test_parse_in_worker_processes_and_with_gaps():
    import tieng

    texts = ["Tôi đọc sách.", None, "Hà Nội có nhiều hồ đẹp.", ""]
    seg = tieng.Segmenter()
    one = [None if d is None else [list(w) for w in d] for d in seg.pipe(texts, parse=True)]
    two = [
        None if d is None else [list(w) for w in d]
        for d in seg.pipe(texts, parse=True, n_process=2, batch_size=1)
    ]
    assert one == two and one[1] is None and one[3] == []


def test_parse_command_writes_conllu(tmp_path):
    from tieng.cli import main

    src = tmp_path / "in.txt"
    src.write_text("Tôi đọc sách. Trời mưa to.\n", encoding="utf-8")
    out = tmp_path / "out.conllu"
    assert main(["parse", str(src), "-o", str(out), "-q"]) == 0
    rows = [r.split("\t") for r in out.read_text(encoding="utf-8").splitlines() if r[:1].isdigit()]
    assert all(len(r) == 10 for r in rows)
    assert [(r[1], r[6], r[7]) for r in rows[:4]] == [
        ("Tôi", "2", "nsubj"),
        ("đọc", "0", "root"),
        ("sách", "2", "obj"),
        (".", "2", "punct"),
    ]
    assert main(["parse", "--to", "text", str(src), "-q"]) == 2


def test_evaluate_parse_aligns_words_by_characters(tmp_path, capsys):
    from tieng.cli import main

    gold = tmp_path / "gold.conllu"
    gold.write_text(
        "1\tHọc sinh\t_\t_\t_\t_\t2\tnsubj\t_\t_\n2\tđi\t_\t_\t_\t_\t0\troot\t_\t_\n"
        "3\thọc\t_\t_\t_\t_\t2\txcomp\t_\t_\n\n",
        encoding="utf-8",
    )
    pred = tmp_path / "pred.conllu"  # "Học sinh" as two words: one word lost, its arc too
    pred.write_text(
        "1\tHọc\t_\t_\t_\t_\t3\tnsubj\t_\t_\n2\tsinh\t_\t_\t_\t_\t1\tcompound\t_\t_\n"
        "3\tđi\t_\t_\t_\t_\t0\troot\t_\t_\n4\thọc\t_\t_\t_\t_\t3\txcomp:adj\t_\t_\n\n",
        encoding="utf-8",
    )
    assert main(["evaluate", "--task", "parse", str(gold), str(pred), "--json"]) == 0
    import json

    got = json.loads(capsys.readouterr().out)
    # 2 of 3 gold words aligned (đi, học), both heads right: F1 = 2 * 2 / (3 + 4)
    assert got["words"] == pytest.approx(400 / 7)
    assert got["uas"] == pytest.approx(400 / 7)
    assert got["las"] == pytest.approx(400 / 7)  # xcomp:adj counts as xcomp
    assert got["las_full"] == pytest.approx(200 / 7)
    pred.write_text("1\tkhác\t_\t_\t_\t_\t0\troot\t_\t_\n\n", encoding="utf-8")
    assert main(["evaluate", "--task", "parse", str(gold), str(pred)]) == 2


def test_train_parser_command(tmp_path):
    from tieng.cli import main

    bank = tmp_path / "bank.conllu"
    lines = []
    for tree in TREES * 5:
        for i, (form, tag, head, rel) in enumerate(tree, 1):
            lines.append(f"{i}\t{form}\t_\t_\t{tag}\t_\t{head}\t{rel}\t_\t_")
        lines.append("")
    bank.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "mine.tieng"
    assert main(["train-parser", str(bank), "-o", str(out), "-q"]) == 0
    src = tmp_path / "in.txt"
    src.write_text("Tôi đọc sách .\n", encoding="utf-8")
    res = tmp_path / "res.conllu"
    assert main(["parse", "--parser", str(out), "--segmented", str(src), "-o", str(res), "-q"]) == 0
    assert "\t0\troot\t" in res.read_text(encoding="utf-8")
    assert main(["train-parser", str(tmp_path / "none.conllu"), "-o", str(out)]) == 2


def test_pipe_text_with_parse_gives_conllu():
    import tieng

    out = list(tieng.Segmenter().pipe_text(["Tôi đọc sách.", None, ""], parse=True))
    assert out[1] is None and out[2] == ""
    rows = [r.split("\t") for r in out[0].splitlines() if r[:1].isdigit()]
    assert [(r[1], r[6], r[7]) for r in rows] == [
        ("Tôi", "2", "nsubj"),
        ("đọc", "0", "root"),
        ("sách", "2", "obj"),
        (".", "2", "punct"),
    ]
    assert out[0].startswith("# sent_id = text:1:1\n# text = Tôi đọc sách.\n")


def test_info_describes_the_parser(capsys):
    from tieng.cli import main

    assert main(["info", "--parser"]) == 0
    out = capsys.readouterr().out
    assert "CC-BY-SA-4.0" in out and "vtb-parser" in out


def test_arc_confidence_on_request():
    import tieng

    doc = tieng.segment("Tôi đọc sách. Trời mưa to vào buổi chiều.", parse=True, confidence=True)
    confs = [w.arc_confidence for w in doc.words]
    assert all(c is not None and 0 < c <= 1 for c in confs)
    assert len(set(confs)) > 1  # calibrated probabilities, not a constant
    assert all(w.arc_confidence is None for w in tieng.segment("Tôi đọc sách.", parse=True))
