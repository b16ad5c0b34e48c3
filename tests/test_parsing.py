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
