import numpy as np
import pytest

import tieng
from tieng import Segmenter
from tieng.engine.features import Shape
from tieng.training.segmenter import (
    _flatten,
    _vocabulary,
    read_corpus,
    sentence_tokens,
    split_dev,
    train,
)


def test_tiny_model_learns_its_words(tiny_model, tmp_path):
    path = tmp_path / "tiny.tieng"
    tiny_model.save(path)
    seg = Segmenter(path)
    assert seg.segment_text("Người dân Hà Nội yêu Việt Nam .") == "Người dân Hà_Nội yêu Việt_Nam ."
    assert [w.text for w in seg("thủ đô đẹp")] == ["thủ đô", "đẹp"]


def test_training_is_reproducible():
    sents = [s.split() for s in ["Hà_Nội đẹp .", "Việt_Nam đẹp .", "Hà_Nội mưa ."]] * 3
    a = train(sents, hash_bits=12, max_iter=15, folds=3)
    b = train(sents, hash_bits=12, max_iter=15, folds=3)
    assert a.weights.tobytes() == b.weights.tobytes()


def test_read_corpus_accepts_pos_format(tmp_path):
    from tieng.training.corpora import FormatError

    p = tmp_path / "c.txt"
    p.write_text("Hà_Nội/Np đẹp/A ./CH\n\nTôi/P đi/V\n", encoding="utf-8")
    assert read_corpus(p) == [["Hà_Nội", "đẹp", "."], ["Tôi", "đi"]]
    p.write_text("Hà_Nội/Np đẹp/A ./CH\n\nTôi đi\n", encoding="utf-8")  # formats mixed
    with pytest.raises(FormatError, match="line 3: 'Tôi' is not word/TAG"):
        read_corpus(p)


def test_dev_split_is_seeded_disjoint_and_keeps_blocks_whole():
    sents = [[f"câu_{i}"] for i in range(4000)]
    tr, dev = split_dev(sents, 10, seed=1, block=20)
    assert 100 < len(dev) < 800 and len(tr) + len(dev) == 4000
    assert split_dev(sents, 10, seed=1, block=20) == (tr, dev)
    assert split_dev(sents, 10, seed=2, block=20) != (tr, dev)
    # Whole blocks of 20 consecutive sentences go to one side.
    dev_blocks = {int(s[0][4:]) // 20 for s in dev}
    assert len(dev) == 20 * len(dev_blocks)
    assert all(int(s[0][4:]) // 20 not in dev_blocks for s in tr)


def test_sentence_tokens():
    assert sentence_tokens(["Hà_Nội", "đẹp"]) == (["Hà", "Nội", "đẹp"], [True, False, False])


def test_custom_ngram_templates_are_stored_in_the_model(tiny_corpus, tmp_path):
    ngrams = [(0,), (1,), (0, 1), (-1, 1), (0, 1, 2, 3)]
    model = train(tiny_corpus, hash_bits=14, max_iter=40, folds=2, ngrams=ngrams)
    path = tmp_path / "ng.tieng"
    model.save(path)
    seg = Segmenter(path)
    assert seg.model.spec.ngrams == tuple(tuple(g) for g in ngrams)
    assert seg.model.spec.template_count == model.spec.template_count
    assert seg.segment_text("Người dân Hà Nội") == Segmenter(model).segment_text("Người dân Hà Nội")


def test_sentence_weights_decide_between_conflicting_examples():
    joined = [["bàn_tay", "tôi", "."]] * 3
    split = [["bàn", "tay", "tôi", "."]] * 3
    sents = joined + split
    for heavy, expected in ((joined, ["bàn tay", "tôi"]), (split, ["bàn", "tay", "tôi"])):
        w = [4.0 if s in heavy else 1.0 for s in sents]
        model = train(sents, weights=w, hash_bits=12, max_iter=40, folds=1, l2=0.1)
        assert [w.text for w in Segmenter(model)("bàn tay tôi")] == expected


def test_unit_weights_change_nothing_and_wrong_lengths_are_refused():
    sents = [s.split() for s in ["Hà_Nội đẹp .", "Việt_Nam đẹp .", "Hà_Nội mưa ."]] * 3
    a = train(sents, hash_bits=12, max_iter=15, folds=3)
    b = train(sents, hash_bits=12, max_iter=15, folds=3, weights=[1.0] * len(sents))
    assert a.weights.tobytes() == b.weights.tobytes()
    with pytest.raises(ValueError, match="2 weights for 9 sentences"):
        train(sents, weights=[1.0, 2.0])


def test_domain_copies_learn_each_convention_and_share_the_rest():
    # Two corpora disagree on "bàn tay"; only the first shows "Hà Nội" as a word.
    news = [["bàn_tay", "tôi", "."], ["Hà_Nội", "đẹp", "."]] * 4
    treebank = [["bàn", "tay", "tôi", "."], ["Việt_Nam", "đẹp", "."]] * 4
    labels = ["news"] * len(news) + ["treebank"] * len(treebank)
    settings = dict(hash_bits=12, max_iter=60, folds=1, l2=0.1)
    models = {}
    for target, expected in (("news", ["bàn tay", "tôi"]), ("treebank", ["bàn", "tay", "tôi"])):
        models[target] = train(news + treebank, domains=labels, target_domain=target, **settings)
        assert [w.text for w in Segmenter(models[target])("bàn tay tôi")] == expected
        assert models[target].metadata["training"]["domains"] == ["news", "treebank"]
        assert models[target].metadata["training"]["target_domain"] == target
    # What the news corpus taught about "Hà Nội" reaches the treebank model through the
    # shared weights: it is less sure that "Hà" stands alone than a treebank-only model.
    alone = train(treebank, **settings)
    shared = Segmenter(models["treebank"])("Hà Nội đẹp", confidence=True).words[0]
    unshared = Segmenter(alone)("Hà Nội đẹp", confidence=True).words[0]
    assert shared.text == unshared.text == "Hà"
    assert shared.confidence < unshared.confidence - 0.2


def test_domains_are_checked():
    sents = [["Hà_Nội", "đẹp"]] * 3
    with pytest.raises(ValueError, match="2 domain labels for 3 sentences"):
        train(sents, domains=["a", "b"], target_domain="a")
    with pytest.raises(ValueError, match="target_domain must be one of"):
        train(sents, domains=["a", "a", "b"], target_domain="c")


def test_rare_features_are_not_trained(tiny_corpus):
    from tieng.engine.features import NGRAMS

    sentences = [s.split() for s in tiny_corpus] * 4 + [["rất_bằng"]]
    kw = dict(hash_bits=16, max_iter=40, folds=2, l2=0.1)
    plain = train(sentences, **kw)
    rare = train(sentences, min_feature_count=2, **kw)
    assert rare.metadata["training"]["min_feature_count"] == 2
    t = NGRAMS.index((0, 1))  # the bigram across the gap, seen at one gap: "rất bằng"
    for model, trained in ((plain, True), (rare, False)):
        codes = model.vocabulary.codes(["rất", "bằng"])
        _, feats = model.gap_features(codes, np.array([True, False]))
        assert (model.weights[feats[0, t]] != 0) == trained


def test_key_version_travels_with_the_model(tiny_model, tiny_corpus, tmp_path):
    from tieng import Model
    from tieng.engine.vocabulary import UNKNOWN

    assert tiny_model.spec.key_version == 2  # new models fold the i/y spelling
    model = train([["lí_do", "."]] * 3, hash_bits=12, max_iter=5)
    path = tmp_path / "m.tieng"
    model.save(path)
    back = Model.load(path)
    assert back.spec.key_version == back.vocabulary.key_version == 2
    lý, lí = back.vocabulary.codes(["Lý", "Lí"])
    assert lý == lí and lý // 16 != UNKNOWN
    old = train([s.split() for s in tiny_corpus], hash_bits=12, max_iter=5, key_version=1)
    assert Model.from_bytes(old.to_bytes()).vocabulary.key_version == 1


def test_affix_templates_score_the_same_both_ways(tiny_corpus, reference_scores):
    from tieng import Model

    model = train([s.split() for s in tiny_corpus] * 4, hash_bits=14, max_iter=30, affixes=True)
    back = Model.from_bytes(model.to_bytes())
    assert back.spec.affixes and back.spec.template_count == model.spec.template_count
    _assert_fast_scores_match_reference(back, reference_scores)


def test_syllables_that_keep_the_same_company_share_a_class():
    from tieng.training.segmenter import syllable_classes

    # Two families of syllables: cities before "mưa"/"nắng", and verbs after "đã"/"sẽ".
    cities = ["huế", "vinh", "hội", "nam"]
    verbs = ["đi", "ăn", "ngủ", "chạy"]
    sentences = []
    for c in cities:
        sentences += [[c, "mưa"], [c, "nắng"], ["trời", c, "mưa"]]
    for v in verbs:
        sentences += [["đã", v], ["sẽ", v], ["tôi", "đã", v]]
    sentences *= 3
    sentences.append(["\xa0", "mưa"])  # a white-space token in a corpus: no class, no crash
    vocab = _vocabulary(sentences, 1, 2)
    codes, joins, breaks = _flatten(vocab, sentences)
    classes = syllable_classes(codes, joins, breaks, len(vocab), 4, dims=4, min_count=2)
    city = {int(classes[vocab.code(c) // Shape.COUNT]) for c in cities}
    verb = {int(classes[vocab.code(v) // Shape.COUNT]) for v in verbs}
    assert len(city) == 1 and len(verb) == 1 and city != verb and 0 not in city | verb
    assert classes[0] == classes[1] == 0  # padding and unknown syllables have no class
    again = syllable_classes(codes, joins, breaks, len(vocab), 4, dims=4, min_count=2)
    assert again.tobytes() == classes.tobytes()  # seeded


def test_class_templates_travel_with_the_model_and_score_the_same_both_ways(
    tiny_corpus, reference_scores
):
    from tieng import Model
    from tieng.model import ModelError

    model = train([s.split() for s in tiny_corpus] * 4, hash_bits=14, max_iter=30, classes=4)
    assert model.spec.classes == 4 and model.classes is not None
    assert model.classes.max() <= 4 and (model.classes > 0).any()
    back = Model.from_bytes(model.to_bytes())
    assert back.spec.classes == 4 and back.classes.tolist() == model.classes.tolist()
    _assert_fast_scores_match_reference(back, reference_scores)
    with pytest.raises(ModelError, match="syllable class for each"):
        Model(back.vocabulary, back.lexicon, back.weights, back.bias, back.spec)
    # A file whose header asks for classes but holds no class array is refused, clearly.
    plain = train([s.split() for s in tiny_corpus] * 2, hash_bits=12, max_iter=5)
    with pytest.raises(ModelError, match=r"the features need .*'classes'"):
        Model.from_bytes(_with_features(plain.to_bytes(), classes=4))
    with pytest.raises(ModelError, match="classes do not fit"):
        Model.from_bytes(_with_features(model.to_bytes(), classes=2))


def _with_features(data: bytes, **changes) -> bytes:
    """A model file with its header's feature settings changed (the payload untouched) and
    its header checksum redone, as a crafted file would have it."""
    import json
    import struct
    import zlib

    prefix = struct.Struct("<8sII")
    magic, version, hlen = prefix.unpack_from(data)
    header = json.loads(data[prefix.size + 4 : prefix.size + 4 + hlen])
    header["features"].update(changes)
    hbytes = json.dumps(header).encode()
    hbytes += b" " * ((-(prefix.size + 4 + len(hbytes))) % 64)
    head = prefix.pack(magic, version, len(hbytes))
    crc = struct.pack("<I", zlib.crc32(hbytes, zlib.crc32(head)))
    return head + crc + hbytes + data[prefix.size + 4 + hlen :]


def _assert_fast_scores_match_reference(model, reference_scores):
    tokens = "Người dân Hà Nội đi làm bằng xe máy , yêu thành phố".split()
    codes = model.vocabulary.codes(tokens)
    breaks = np.zeros(len(tokens), bool)
    breaks[0] = True
    fast, slow = model.join_scores(codes, breaks), reference_scores(model, codes, breaks)
    finite = np.isfinite(slow)
    assert finite.sum() > 5 and np.allclose(fast[finite], slow[finite], atol=1e-4)


def test_an_unaccented_model_reads_text_with_and_without_diacritics(tiny_corpus, tmp_path):
    from tieng import Model, Segmenter
    from tieng.normalization import UNACCENTED

    sentences = [s.split() for s in tiny_corpus] * 4
    model = train(sentences, hash_bits=14, max_iter=60, folds=2, l2=0.1, key_version=UNACCENTED)
    path = tmp_path / "bare.tieng"
    model.save(path)
    seg = Segmenter(path)
    assert seg.model.spec.key_version == UNACCENTED
    with_marks = "Người dân Hà Nội yêu thành phố và xe máy"
    without = "Nguoi dan Ha Noi yeu thanh pho va xe may"
    assert seg.segment_text(with_marks) == "Người dân Hà_Nội yêu thành_phố và xe_máy"
    assert seg.segment_text(without) == "Nguoi dan Ha_Noi yeu thanh_pho va xe_may"
    # The default view tells the two apart, so without marks it knows none of these words.
    plain = Segmenter(Model.from_bytes(train(sentences, hash_bits=14, max_iter=60).to_bytes()))
    assert plain.segment_text(without) == without


def test_word_lists_are_features_the_model_learns_to_trust(tmp_path, reference_scores):
    """A list that is right about the corpus gets trusted, even on words training never
    joined; a list that is wrong about it gets ignored."""
    from tieng.model import Model

    seen = ["bảo_tàng", "quê_hương", "hàng_xóm", "vui_vẻ"]
    unseen = ["giáo_viên", "dân_làng"]  # their syllables occur, never side by side
    fillers = ["tôi", "thăm", "của", "và", "đẹp", "gặp", "ở", "nhà"]
    rng = np.random.default_rng(1)
    sentences = [["tôi", "giáo"], ["viên", "đẹp"], ["dân", "ở"], ["làng", "đẹp"]] * 2
    for _ in range(400):
        words = [str(rng.choice(fillers)) for _ in range(4)]
        words.insert(int(rng.integers(0, 5)), str(rng.choice(seen)))
        sentences.append([w for i, w in enumerate(words) if i == 0 or w != words[i - 1]])
    good = [w.split("_") for w in seen + unseen]
    bad = [[a, b] for a in fillers[:4] for b in fillers[4:8]]  # pairs the corpus keeps apart
    # (One fold holds every sentence, so the training lexicon is empty: the lists alone.)
    one = {"folds": 2, "fold_block": 500}
    model = train(
        sentences, hash_bits=14, max_iter=60, l2=0.1, lists={"good": good, "bad": bad}, **one
    )
    assert model.spec.lists == ("good", "bad")
    assert model.list_sizes == (6, 16)
    assert model.metadata["training"]["lists"] == [
        {"name": "good", "entries": 6, "used": 6},
        {"name": "bad", "entries": 16, "used": 16},
    ]
    seg = tieng.Segmenter(model)
    assert seg.segment_text("tôi gặp dân làng và giáo viên") == "tôi gặp dân_làng và giáo_viên"
    assert seg.segment_text("tôi đẹp và gặp của nhà") == "tôi đẹp và gặp của nhà"
    plain = tieng.Segmenter(train(sentences, hash_bits=14, max_iter=60, l2=0.1, **one))
    assert plain.segment_text("tôi gặp dân làng và giáo viên") == "tôi gặp dân làng và giáo viên"
    # Known words added later share the lists' hash sets instead of building them again.
    assert model.with_words([["giáo", "dân"]])._lists is model._lists
    # The lists travel in the model file and score the same after loading.
    path = tmp_path / "m.tieng"
    model.save(path)
    loaded = Model.load(path)
    assert loaded.spec.lists == ("good", "bad")
    assert loaded.list_sizes == (6, 16)
    assert np.array_equal(loaded._lists.table.keys, model._lists.table.keys)
    assert np.array_equal(loaded._lists.table.flags, model._lists.table.flags)
    assert tieng.Segmenter(loaded).segment_text("dân làng vui vẻ") == "dân_làng vui_vẻ"
    codes = model.vocabulary.codes("tôi gặp dân làng và giáo viên ở nhà".split())
    breaks = np.zeros(len(codes), bool)
    breaks[0] = True
    assert np.allclose(
        model.join_scores(codes, breaks), reference_scores(model, codes, breaks), atol=1e-3
    )


def test_word_lists_need_distinct_names_and_match_the_spec():
    from tieng.engine.features import FeatureSpec
    from tieng.model import Model, ModelError

    with pytest.raises(ValueError, match="distinct"):
        FeatureSpec(lists=("a", "a"))
    with pytest.raises(ValueError, match="at most 8"):
        FeatureSpec(lists=tuple("abcdefghi"))
    model = train([["Hà_Nội", "đẹp"]] * 6, hash_bits=12, max_iter=5, lists={"x": [["Hà", "Nội"]]})
    with pytest.raises(ModelError, match="1 word lists, 0 were given"):
        Model(model.vocabulary, model.lexicon, model.weights, 0.0, model.spec, lists=[])


def test_read_word_list(tmp_path):
    from tieng.training.segmenter import read_word_list

    f = tmp_path / "w.txt"
    f.write_text("\ufeffhà nội\n# a comment\n\nthủ_tướng\n  Việt  Nam \nđi\n", encoding="utf-8")
    assert read_word_list(f) == [["hà", "nội"], ["thủ", "tướng"], ["Việt", "Nam"], ["đi"]]


# ------------------------------------------------------------------ what training reads
SEGMENTED = [
    "Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm trong năm tới .",
    "Học_sinh nghỉ học vì trời mưa to .",
]
CONLLU = """# sent_id = 1
# text = Thành phố sẽ đầu tư.
1\tThành phố\tthành phố\tNOUN\tN\t_\t3\tnsubj\t_\t_
2\tsẽ\tsẽ\tADV\tR\t_\t3\tadvmod\t_\t_
3\tđầu tư\tđầu tư\tVERB\tV\t_\t0\troot\t_\t_
4\t.\t.\tPUNCT\tCH\t_\t3\tpunct\t_\t_

# sent_id = 2
1\tHọc sinh\thọc sinh\tNOUN\t_\t_\t2\tnsubj\t_\t_
2-3\tnghỉ học\t_\t_\t_\t_\t_\t_\t_\t_
2\tnghỉ\tnghỉ\tVERB\t_\t_\t0\troot\t_\t_
3\thọc\thọc\tVERB\t_\t_\t2\tobj\t_\t_
"""


def test_training_reads_segmented_tagged_and_conllu_corpora(tmp_path):
    from tieng.training.tagger import read_tagged

    seg = tmp_path / "seg.txt"
    seg.write_text("\n".join(SEGMENTED) + "\n", encoding="utf-8")
    tagged = tmp_path / "pos.txt"
    tagged.write_text("Thành_phố/N sẽ/R đầu_tư/V ./CH\n", encoding="utf-8")
    conllu = tmp_path / "ud.conllu"
    conllu.write_text(CONLLU, encoding="utf-8")
    assert read_corpus(seg) == [s.split() for s in SEGMENTED]
    assert read_corpus(tagged) == [["Thành_phố", "sẽ", "đầu_tư", "."]]
    assert read_corpus(conllu) == [["Thành_phố", "sẽ", "đầu_tư", "."], ["Học_sinh", "nghỉ", "học"]]
    assert read_tagged(conllu)[0] == [("Thành phố", "N"), ("sẽ", "R"), ("đầu tư", "V"), (".", "CH")]
    assert read_tagged(conllu)[1][0] == ("Học sinh", "NOUN")  # no XPOS: the UPOS column


def test_training_refuses_raw_text_and_malformed_files_naming_the_line(tmp_path):
    from tieng.training.corpora import FormatError
    from tieng.training.tagger import read_tagged

    raw = tmp_path / "raw.txt"
    raw.write_text("Thành phố sẽ đầu tư, xây dựng tàu điện ngầm.\nHọc sinh nghỉ học.\n")
    with pytest.raises(FormatError, match=r"raw.txt, line 1: this looks like unsegmented"):
        read_corpus(raw)
    bad = tmp_path / "bad.conllu"
    bad.write_text(CONLLU.replace("2\tsẽ\tsẽ\tADV", "2\tsẽ sẽ ADV"), encoding="utf-8")
    with pytest.raises(FormatError, match=r"bad.conllu, line 4: not a CoNLL-U word line"):
        read_corpus(bad)
    seg = tmp_path / "seg.txt"
    seg.write_text("\n".join(SEGMENTED) + "\n", encoding="utf-8")
    with pytest.raises(FormatError, match="words without tags"):
        read_tagged(seg)
    with pytest.raises(FormatError, match=r"line 1: 'Thành_phố' is not word/TAG"):
        read_corpus(seg, "tagged")


def test_tieng_train_says_no_to_raw_text(tmp_path, capsys):
    from tieng.cli import main

    raw = tmp_path / "raw.txt"
    raw.write_text("Thành phố sẽ đầu tư xây dựng tàu điện ngầm.\n" * 30, encoding="utf-8")
    out = tmp_path / "m.tieng"
    assert main(["train", str(raw), "-o", str(out)]) == 2
    assert "looks like unsegmented text" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize(("n", "percent"), [(500, 5), (500, 20), (3000, 5), (120, 10)])
def test_the_dev_share_asked_for_is_the_share_taken_even_on_small_corpora(n, percent):
    train_part, dev = split_dev([[f"câu_{i}"] for i in range(n)], percent)
    assert abs(len(dev) - n * percent / 100) <= max(1, n * 0.005)
    assert len(train_part) + len(dev) == n


def test_small_corpora_fill_every_jackknife_fold_and_the_log_counts_iterations(tiny_corpus):
    """500 sentences used to land in one fold of 500 (the lexicon features were then never
    learned), and the log counted loss evaluations as iterations."""
    said = []
    sentences = [s.split() for s in tiny_corpus] * 40  # some hundreds of sentences
    model = train(sentences, hash_bits=12, max_iter=10, folds=5, progress=said.append)
    folds = [m for m in said if m.startswith("fold ")]
    assert len(folds) == 5 and all(" 0 gaps" not in m for m in folds)
    steps = [m for m in said if m.startswith("iteration ")]
    assert steps and all("of at most 10" in m and "evaluations" in m for m in steps)
    assert model.spec.hash_bits == 12


def test_a_model_of_long_words_trains_saves_and_loads(tiny_corpus):
    """max_word 13 to 16 once trained to the end and failed in to_bytes(), and such a file
    failed to load with an IndexError: the features read before the first token."""
    from tieng import Model, Segmenter

    model = train([s.split() for s in tiny_corpus] * 4, hash_bits=12, max_iter=10, max_word=16)
    again = Model.from_bytes(model.to_bytes())
    assert again.spec.max_word == 16
    assert Segmenter(again).segment_text("Hà Nội") == Segmenter(model).segment_text("Hà Nội")


def test_training_stops_when_the_loss_stops_moving_and_warns_on_a_tiny_corpus(tiny_corpus):
    """The default tolerance ends training once an iteration barely lowers the loss; 0 runs
    every iteration asked for; a corpus of a few hundred tokens gets a warning (issue 43,
    item 5)."""
    import warnings

    from tieng.training.segmenter import train

    sentences = [s.split() for s in tiny_corpus] * 4
    steps: dict[float, list[str]] = {}
    for tol in (1e-6, 0.0):
        said: list[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = train(sentences, hash_bits=12, max_iter=200, tol=tol, progress=said.append)
        assert any("tokens to train on" in str(w.message) for w in caught)
        steps[tol] = [s for s in said if s.startswith("iteration")]
        assert model.metadata["training"]["tol"] == tol
    assert len(steps[1e-6]) < len(steps[0.0])
    with pytest.raises(ValueError, match="tol"):
        train(sentences, tol=1.5)


def test_cli_says_a_tiny_corpus_is_tiny(tmp_path):
    import subprocess
    import sys

    corpus = tmp_path / "tiny.txt"
    corpus.write_text("Hà_Nội có nhiều hồ .\nTrời mưa to .\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "tieng", "train", str(corpus), "-o", str(tmp_path / "m.tieng"),
         "--hash-bits", "12", "--quiet"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stderr.startswith("tieng train: warning: only 10 tokens to train on")
