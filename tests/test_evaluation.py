import pytest

from tieng.training.evaluation import detokenize, evaluate, word_spans


def test_detokenize_attaches_punctuation_like_news():
    assert detokenize("Thủ_tướng ( TP. HCM ) nói : “ Tốt ” , rồi đi .") == (
        "Thủ tướng (TP. HCM) nói: “Tốt”, rồi đi."
    )
    assert detokenize('Anh " vẽ " hươu') == 'Anh " vẽ " hươu'


def test_word_spans_ignore_joiners():
    assert word_spans("Hà_Nội đẹp") == ("HàNộiđẹp", {(0, 5), (5, 8)})


def test_perfect_and_partial_scores():
    gold = ["Hà_Nội mùa_thu", "Tôi đi"]
    s = evaluate(gold, gold)
    assert (s.precision, s.recall, s.f1, s.sentence_accuracy) == (100.0, 100.0, 100.0, 100.0)
    s = evaluate(gold, ["Hà_Nội mùa thu", "Tôi đi"])
    assert s.correct_words == 3 and s.gold_words == 4 and s.predicted_words == 5
    assert s.precision == pytest.approx(60.0)
    assert s.recall == pytest.approx(75.0)
    assert s.sentence_accuracy == 50.0


def test_tokenization_differences_compare_by_characters():
    # "TP.HCM" split differently still matches character spans.
    assert evaluate(["TP._HCM ,"], ["TP._HCM,"]).correct_words == 0
    assert evaluate(["a_b c"], ["a_b c"]).f1 == 100.0


def test_mismatched_texts_are_reported():
    with pytest.raises(ValueError, match="line 1: the texts differ"):
        evaluate(["Hà_Nội"], ["Hà_Nam"])
    with pytest.raises(ValueError, match="different numbers of lines"):
        evaluate(["a", "b"], ["a"])
