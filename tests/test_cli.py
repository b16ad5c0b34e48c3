import gzip
import json
import os
import subprocess
import sys

import pytest

import tieng
from tieng.cli import main


def run(*args, stdin=b""):
    return subprocess.run(
        [sys.executable, "-m", "tieng", *args], input=stdin, capture_output=True, timeout=120
    )


def test_segment_stdin_to_stdout():
    r = run("segment", stdin="Thành phố sẽ đầu tư xây dựng tàu điện ngầm.\nHà Nội\n".encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "Thành_phố sẽ đầu_tư xây_dựng tàu_điện_ngầm .\nHà_Nội\n"


def test_segment_with_a_bundled_model_by_name():
    r = run("segment", "--model", "vlsp2013-unaccented", stdin=b"Ha Noi co nhieu ho dep\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "Ha_Noi co nhieu ho dep\n"


def test_segment_files_and_output(tmp_path, capsys):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_bytes("\ufeffHà Nội có nhiều hồ\r\n\r\n".encode())
    b.write_text("Tôi yêu Việt Nam", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["segment", str(a), str(b), "-o", str(out)]) == 0
    assert out.read_bytes().decode() == "Hà_Nội có nhiều hồ\r\n\r\nTôi yêu Việt_Nam"
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_invalid_utf8_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes("Hà Nội\n".encode() + b"ok \xff\xfe here\n")
    out = tmp_path / "out.txt"
    assert main(["segment", str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.txt, line 2" in err and "invalid UTF-8" in err and "byte 13" in err
    assert not out.exists()


def test_invalid_utf8_on_stdin_exit_code():
    r = run("segment", stdin=b"\xc3\x28\n")
    assert r.returncode == 2
    assert b"<stdin>, line 1: invalid UTF-8" in r.stderr
    assert b"Traceback" not in r.stderr


def test_missing_file_and_bad_model(tmp_path, capsys):
    assert main(["segment", str(tmp_path / "nope.txt")]) == 2
    assert "no such file" in capsys.readouterr().err
    junk = tmp_path / "junk.tieng"
    junk.write_bytes(b"not a model")
    assert main(["segment", "--model", str(junk), str(junk)]) == 2
    assert "not a tieng model" in capsys.readouterr().err


def test_sentences_and_pretokenized_flags():
    r = run("segment", "--sentences", stdin="Trời mưa. Tôi ở nhà.\n".encode())
    assert r.stdout.decode() == "Trời mưa .\nTôi ở nhà .\n"
    r = run("segment", "--pretokenized", stdin="TP.HCM, đẹp\n".encode())
    assert r.stdout.decode() == "TP.HCM, đẹp\n"


def test_tokenize_and_normalize_commands():
    r = run("tokenize", stdin="Giá 3,5% (TP. HCM).\n".encode())
    assert r.stdout.decode() == "Giá 3,5 % ( TP. HCM ) .\n"
    r = run("normalize", stdin="hoà bình\n".encode())
    assert r.stdout.decode() == "hòa bình\n"
    r = run("normalize", "--tone", "classic", stdin="hòa bình\n".encode())
    assert r.stdout.decode() == "hoà bình\n"


def test_evaluate(tmp_path, capsys):
    gold = tmp_path / "gold.txt"
    pred = tmp_path / "pred.txt"
    gold.write_text("Hà_Nội mùa_thu\nTôi đi\n", encoding="utf-8")
    pred.write_text("Hà_Nội mùa thu\nTôi đi\n", encoding="utf-8")
    assert main(["evaluate", str(gold), str(pred), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["precision"] == pytest.approx(60.0)
    assert scores["recall"] == pytest.approx(75.0)
    assert scores["sentence_accuracy"] == 50.0
    pred.write_text("Hà_Nam\nTôi đi\n", encoding="utf-8")
    assert main(["evaluate", str(gold), str(pred)]) == 2
    assert "texts differ" in capsys.readouterr().err


def test_train_command(tmp_path, capsys, tiny_corpus):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(tiny_corpus * 4), encoding="utf-8")
    model = tmp_path / "m.tieng"
    args = [
        "train",
        str(corpus),
        "-o",
        str(model),
        "--hash-bits",
        "14",
        "--max-iter",
        "40",
        "--folds",
        "2",
        "--l2",
        "0.1",
        "-q",
    ]
    assert main(args) == 0
    raw = tmp_path / "raw.txt"
    raw.write_text(corpus.read_text(encoding="utf-8").replace("_", " "), encoding="utf-8")
    assert main(["segment", "--model", str(model), str(raw), "-o", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o").read_text(encoding="utf-8").splitlines()[0] == tiny_corpus[0]
    assert main(["info", "--json", "--model", str(model)]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["training"]["l2"] == 0.1
    # An output that cannot be written: a clear message and exit 2, not a traceback.
    args[args.index("-o") + 1] = str(tmp_path)  # a directory
    assert main(args) == 2
    assert "is a directory" in capsys.readouterr().err


def test_train_weights_one_per_corpus_file(tmp_path, capsys):
    joined, split = tmp_path / "a.txt", tmp_path / "b.txt"
    joined.write_text("bàn_tay tôi .\n" * 3, encoding="utf-8")
    split.write_text("bàn tay tôi .\n" * 3, encoding="utf-8")
    model = tmp_path / "m.tieng"
    base = ["train", str(joined), str(split), "-o", str(model), "--hash-bits", "12", "-q"]
    base += ["--folds", "1", "--l2", "0.1", "--max-iter", "40"]
    for weights, expected in ((["4", "1"], "bàn_tay tôi"), (["1", "4"], "bàn tay tôi")):
        assert main([*base, "--weights", *weights]) == 0
        assert tieng.Segmenter(model).segment_text("bàn tay tôi") == expected
    assert main(["info", "--json", "--model", str(model)]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["corpus_weights"] == [1.0, 4.0]
    assert main([*base, "--weights", "2"]) == 2
    assert "one weight per corpus file (2 files, 1 weights)" in capsys.readouterr().err
    assert main([*base, "--weights", "1", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err
    # An output that cannot be written is found out before training, not after.
    for bad, message in ((tmp_path, "is a directory"), (joined / "m.tieng", "no such directory")):
        args = ["train", str(joined), "-o", str(bad), "--hash-bits", "12", "-q"]
        assert main(args) == 2
        assert message in capsys.readouterr().err


def test_train_domains_one_per_corpus_file(tmp_path, capsys):
    news, treebank = tmp_path / "a.txt", tmp_path / "b.txt"
    news.write_text("bàn_tay tôi .\n" * 4, encoding="utf-8")
    treebank.write_text("bàn tay tôi .\n" * 4, encoding="utf-8")
    model = tmp_path / "m.tieng"
    base = ["train", str(news), str(treebank), "-o", str(model), "--hash-bits", "12", "-q"]
    base += ["--folds", "1", "--l2", "0.1", "--max-iter", "40", "--domains", "news", "vtb"]
    for target, expected in (("news", "bàn_tay tôi"), ("vtb", "bàn tay tôi")):
        assert main([*base, "--target-domain", target]) == 0
        assert tieng.Segmenter(model).segment_text("bàn tay tôi") == expected
    assert main(["info", "--json", "--model", str(model)]) == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["corpus_domains"] == ["news", "vtb"]
    assert main(base) == 2
    assert "--domains needs --target-domain" in capsys.readouterr().err
    assert main([*base[:-3], "--domains", "news", "--target-domain", "news"]) == 2
    assert "one label per corpus file (2 files, 1 labels)" in capsys.readouterr().err


def _quick_train(tmp_path, tiny_corpus, model) -> list[str]:
    """A `tieng train` command line for a small, quick model of the tiny corpus."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(tiny_corpus * 4), encoding="utf-8")
    return ["train", str(corpus), "-o", str(model), "--hash-bits", "12", "-q", "--max-iter", "30"]


def test_train_with_syllable_classes(tmp_path, capsys, tiny_corpus):
    model = tmp_path / "m.tieng"
    base = _quick_train(tmp_path, tiny_corpus, model)
    assert main([*base, "--classes", "3"]) == 0
    assert tieng.Segmenter(model).segment_text("Người dân Hà Nội") == "Người dân Hà_Nội"
    assert main(["info", "--json", "--model", str(model)]) == 0
    assert json.loads(capsys.readouterr().out)["features"]["classes"] == 3
    assert main([*base, "--classes", "-1"]) == 2
    assert "--classes must be between 0 and 4096" in capsys.readouterr().err


def test_train_unaccented(tmp_path, capsys, tiny_corpus):
    model = tmp_path / "m.tieng"
    base = _quick_train(tmp_path, tiny_corpus, model)
    assert main([*base, "--unaccented"]) == 0
    assert tieng.Segmenter(model).segment_text("Nguoi dan Ha Noi") == "Nguoi dan Ha_Noi"
    assert main(["info", "--json", "--model", str(model)]) == 0
    assert json.loads(capsys.readouterr().out)["features"]["key_version"] == 3


def test_train_with_word_lists(tmp_path, capsys, tiny_corpus):
    words = tmp_path / "words.txt"
    words.write_text("Hà Nội\nthủ đô\nthủ tướng\nđi\n", encoding="utf-8")
    places = tmp_path / "places.v2.txt"
    places.write_text("Hà Nội\n", encoding="utf-8")
    model = tmp_path / "m.tieng"
    base = _quick_train(tmp_path, tiny_corpus, model)
    assert main([*base, "--lexicon", str(words), "--lexicon", str(places)]) == 0
    assert tieng.Segmenter(model).model.spec.lists == ("words", "places")
    assert main(["info", "--json", "--model", str(model)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["word_lists"] == {"words": 2, "places": 1}
    first = info["metadata"]["training"]["lists"][0]
    assert first["name"] == "words" and first["file"] == "words.txt" and first["entries"] == 4
    assert len(first["sha256"]) == 64
    assert main([*base, "--lexicon", str(words), "--lexicon", str(words)]) == 2
    assert "two word lists named 'words'" in capsys.readouterr().err
    assert main([*base, "--lexicon", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt: no such file" in capsys.readouterr().err


def test_train_with_country_names(tmp_path, capsys, tiny_corpus):
    names = tmp_path / "countries.txt"
    names.write_text("# from a test\nPháp\nMỹ\n", encoding="utf-8")
    model = tmp_path / "m.tieng"
    base = _quick_train(tmp_path, tiny_corpus, model)
    assert main([*base, "--countries", str(names)]) == 0
    assert tieng.Segmenter(model).model.spec.countries == ("Pháp", "Mỹ")
    assert main(["info", "--json", "--model", str(model)]) == 0
    info = json.loads(capsys.readouterr().out)
    used = info["metadata"]["training"]["countries"]
    assert used["file"] == "countries.txt" and used["names"] == 2 and len(used["sha256"]) == 64
    assert info["features"]["countries"] == ["Pháp", "Mỹ"]
    assert main(["info", "--model", str(model)]) == 0
    assert "2 country names" in capsys.readouterr().out
    names.write_text("Pháp\nHoa Kỳ\n", encoding="utf-8")
    assert main([*base, "--countries", str(names)]) == 2
    assert "one syllable a line" in capsys.readouterr().err
    assert main([*base, "--countries", str(tmp_path / "nope.txt")]) == 2
    assert "nope.txt: no such file" in capsys.readouterr().err


_BARE = "Thanh pho se dau tu xay dung hai tuyen tau dien ngam trong nam toi. " * 8


def test_input_typed_without_diacritics_gets_a_hint(tmp_path):
    bare = tmp_path / "chat.txt"
    bare.write_text(_BARE, encoding="utf-8")
    # By default such text goes to the model made for it, line by line, named once.
    r = run("segment", str(bare))
    assert r.returncode == 0
    assert (
        r.stderr.decode() == f"tieng: {bare} looks typed without diacritics: words by "
        "vlsp2013-unaccented\n"
    )
    assert r.stdout.decode().count("Thanh_pho") == 8
    # With the default model asked for by name, the hint names the one that fits.
    r = run("segment", "--model", "vlsp2013", str(bare))
    assert r.returncode == 0 and "try --model vlsp2013-unaccented" in r.stderr.decode()
    r = run("segment", "--model", "vlsp2013", stdin=_BARE.encode())  # looked at, not consumed
    assert "try --model vlsp2013-unaccented" in r.stderr.decode()
    assert r.stdout.decode().count("Thanh pho") == 8
    for quiet in (["--model", "vlsp2013", "-q"], ["--model", "vlsp2013-unaccented"]):
        r = run("segment", str(bare), *quiet)
        assert r.returncode == 0 and r.stderr == b""
    marked = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới. " * 8
    english = "The city will build two new underground railway lines next year. " * 8
    for text in (marked, english):
        assert run("segment", stdin=text.encode()).stderr == b""
    # tieng tag says where its tags come from: the text restored (issue 41).
    for model in ([], ["--model", "vlsp2013-unaccented"]):
        r = run("tag", str(bare), *model)
        assert r.returncode == 0
        assert "tags from the text restored by viwiki-restorer" in r.stderr.decode()
        assert r.stdout.decode().count("Thanh_pho/N se/R dau_tu/V") == 8
    r = run("tag", "--model", "vlsp2013", str(bare))
    assert "this model and the tagger need them" in r.stderr.decode()
    assert run("tag", stdin=marked.encode()).stderr == b""


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("hoc muon vi\n", True),
        ("di vi\n", True),
        ("ban co khoe khong\n", True),
        ("Tôi yêu Việt Nam\n", False),
        ("học muộn vì\n", False),
        ("I want to go home now\n", False),
        ("the cat is on the mat\n", False),
        ("python numpy install\n", False),
        ("ok\n", False),
    ],
)
def test_short_input_typed_without_diacritics_gets_a_hint_too(text, hint):
    r = run("segment", "--model", "vlsp2013", stdin=text.encode())
    assert r.returncode == 0
    assert ("try --model vlsp2013-unaccented" in r.stderr.decode()) == hint


def test_closed_standard_input_is_an_error_not_a_traceback(tmp_path):
    for command in ("segment", "tokenize", "normalize"):
        r = subprocess.run(
            ["sh", "-c", f'exec "{sys.executable}" -m tieng {command} <&-'],
            capture_output=True,
            timeout=120,
        )
        assert r.returncode == 2, command
        assert b"standard input is closed" in r.stderr and b"Traceback" not in r.stderr
    # Files named: a closed standard input does not matter.
    src = tmp_path / "in.txt"
    src.write_text("Hà Nội\n", encoding="utf-8")
    for jobs in ("1", "2"):
        r = subprocess.run(
            ["sh", "-c", f'exec "{sys.executable}" -m tieng segment "{src}" "{src}" -j {jobs} <&-'],
            capture_output=True,
            timeout=120,
        )
        assert r.returncode == 0 and r.stdout == "Hà_Nội\nHà_Nội\n".encode(), r.stderr


def test_tokenize_and_evaluate_read_compressed_files_like_segment(tmp_path):
    gz = tmp_path / "gold.txt.gz"
    gz.write_bytes(gzip.compress("Hà_Nội đẹp .\n".encode()))
    r = run("tokenize", str(gz))
    assert r.returncode == 0 and r.stdout.decode() == "Hà_Nội đẹp .\n"
    r = run("evaluate", str(gz), str(gz))
    assert r.returncode == 0 and b"100.00" in r.stdout
    bad = tmp_path / "bad.txt.gz"
    bad.write_bytes(b"not gzip")
    r = run("tokenize", str(bad))
    assert r.returncode == 2 and b"bad.txt.gz: cannot read" in r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_disk_is_an_error_not_a_traceback(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("Hà Nội\n" * 3, encoding="utf-8")
    for command in ("segment", "tokenize"):
        r = run(command, str(src), "-o", "/dev/full")
        assert r.returncode == 2 and b"/dev/full: cannot write (No space left" in r.stderr
    for jobs in ("1", "2"):  # standard output on a full disk
        with open("/dev/full", "wb") as full:
            r = subprocess.run(
                [sys.executable, "-m", "tieng", "segment", str(src), "--jobs", jobs],
                stdout=full,
                stderr=subprocess.PIPE,
                timeout=120,
            )
        assert r.returncode == 2 and b"<stdout>: cannot write" in r.stderr
        assert b"Traceback" not in r.stderr


def test_train_without_its_extra_says_so_before_any_work(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("Hà_Nội đẹp .\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    assert main(["train", str(corpus), "-o", str(tmp_path / "m.tieng")]) == 2
    err = capsys.readouterr().err
    assert "pip install '.[train]'" in err and "scipy" in err
    assert "Traceback" not in err and not (tmp_path / "m.tieng").exists()


def test_plain_tieng_lists_the_commands(capsys):
    assert main([]) == 2  # as git does: the list of commands, and no success
    out = capsys.readouterr().err
    for command in ("segment", "tokenize", "normalize", "evaluate", "train", "serve", "info"):
        assert f"\n    {command}" in out


def test_help_says_what_files_hold_and_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "-h"])
    out = capsys.readouterr().out
    assert "GOLD" in out and "PRED" in out and "underscore format" in out
    with pytest.raises(SystemExit):
        main(["train", "-h"])
    out = " ".join(capsys.readouterr().out.split())
    for default in ("(default: 1.0)", "(default: 300)", "(default: 5)", "(default: 22"):
        assert default in out
    assert "a quick small run" in out and "--max-iter 30" in out


@pytest.mark.parametrize("jobs", ["-3", "two"])
def test_negative_or_bad_job_counts_are_rejected(capsys, jobs):
    with pytest.raises(SystemExit) as e:
        main(["segment", "-j", jobs])
    assert e.value.code == 2 and "-j/--jobs" in capsys.readouterr().err


def test_a_wrong_field_name_does_not_claim_output_was_written(tmp_path, capsys):
    src = tmp_path / "a.jsonl"
    src.write_text('{"text": "Hà Nội"}\n{"text": "Việt Nam"}\n', encoding="utf-8")
    assert main(["segment", str(src), "--field", "body", "-q"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no record was written" in captured.err and "went to standard output" not in captured.err


def test_info_is_a_readable_summary_and_json_on_request(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("model ") and "bundled model 'vlsp2013'" in out
    assert "format version 4" in out and "syllable flags" in out
    assert "syllable classes" in out and "trained on" in out
    assert "199 country names" in out and "foreign-word shapes" in out
    assert "8 bits, a codebook of 256 values" in out
    assert "word list viet74k" in out and "VLSP 2013 test" in out
    assert main(["info", "--json", "--model", "vlsp2013-unaccented"]) == 0
    assert json.loads(capsys.readouterr().out)["features"]["key_version"] == 3


@pytest.mark.parametrize(
    "command", ["info", "evaluate G G", "tokenize G", "normalize G", "segment G"]
)
def test_closed_or_full_standard_output_is_a_clear_error(tmp_path, command):
    gold = tmp_path / "g.txt"
    gold.write_text("Hà_Nội đẹp .\n", encoding="utf-8")
    args = command.replace("G", str(gold))
    for redirect in (">&-", "> /dev/full"):
        r = subprocess.run(
            ["bash", "-c", f"{sys.executable} -m tieng {args} {redirect}"],
            capture_output=True,
            timeout=60,
        )
        err = r.stderr.decode()
        assert r.returncode == 2, err
        assert err.startswith("tieng: error:") and "Traceback" not in err
        assert ("closed" in err) if redirect == ">&-" else ("No space left" in err)


# ------------------------------------------------------------------ outputs that would eat data
def test_errors_to_an_input_or_the_output_is_refused(tmp_path, capsys):
    b = tmp_path / "b.txt"
    b.write_text("Hà Nội mưa\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    for command in ("segment", "tag"):
        assert main([command, str(b), "-o", str(out), "--errors-to", str(b)]) == 2
        assert "is also an input" in capsys.readouterr().err
        assert b.read_text(encoding="utf-8") == "Hà Nội mưa\n" and not out.exists()
        assert main([command, str(b), "-o", str(out), "--errors-to", str(out)]) == 2
        assert "is also the output" in capsys.readouterr().err
    d = tmp_path / "d"
    d.mkdir()
    (d / "x.txt").write_text("Hà Nội\n", encoding="utf-8")
    assert (
        main(["segment", str(d), "-o", str(tmp_path / "o"), "--errors-to", str(d / "x.txt")]) == 2
    )
    assert (d / "x.txt").read_text(encoding="utf-8") == "Hà Nội\n"


def test_two_input_directories_with_the_same_file_name_are_refused(tmp_path, capsys):
    for name, text in (("a", "một"), ("b", "hai")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["segment", str(tmp_path / "a"), str(tmp_path / "b"), "-o", str(out)]) == 2
    assert "both would be written to x.txt" in capsys.readouterr().err
    assert not (out / "x.txt").exists()


def test_mirroring_a_directory_into_itself_or_its_parent_is_refused(tmp_path, capsys):
    d = tmp_path / "p" / "in"
    d.mkdir(parents=True)
    (d / "x.txt").write_text("Hà Nội\n", encoding="utf-8")
    for output in (d, tmp_path / "p"):
        assert main(["segment", str(d), "-o", str(output)]) == 2
        assert "would write over the input" in capsys.readouterr().err
    assert (d / "x.txt").read_text(encoding="utf-8") == "Hà Nội\n"


def test_no_input_matched_is_an_error_not_a_silent_success(tmp_path, capsys):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("Hà Nội", encoding="utf-8")
    assert main(["segment", str(tree), "--glob", "*.none", "-o", str(tmp_path / "o")]) == 2
    assert "no input file matching --glob '*.none'" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["segment", str(empty), "-o", str(tmp_path / "o2")]) == 2
    assert "nothing to do" in capsys.readouterr().err
    assert not (tmp_path / "o").exists() and not (tmp_path / "o2").exists()


def test_a_line_of_white_space_after_a_lone_cr_keeps_the_line_ends_apart(tmp_path, capsys):
    """Three lines in, three lines out: a CR, a line of spaces, and the LF after it must not
    come out as one CRLF."""
    src = tmp_path / "cr.txt"
    src.write_bytes(b"a\r \nb\n")
    out = tmp_path / "out.txt"
    assert main(["segment", str(src), "-o", str(out)]) == 0
    assert out.read_bytes() == b"a\r \nb\n"
    for text in ("a\r \nb", "a \r \n b", "a\r ", "a\r \u200b\rb"):
        got = tieng.segment_text(text)
        assert len(got.splitlines()) == len(text.splitlines()), text
        assert tieng.segment(text).text == got == next(tieng.Segmenter().pipe_text([text]))


def test_a_symlink_loop_or_an_empty_name_as_model_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    src = tmp_path / "a.txt"
    src.write_text("Hà Nội", encoding="utf-8")
    for args in (
        ["segment", "--model", str(tmp_path / "l1"), str(src)],
        ["info", "--model", str(tmp_path / "l1")],
        ["tag", "--tagger", str(tmp_path / "l1"), str(src)],
    ):
        assert main(args) == 2
        assert "symbolic links" in capsys.readouterr().err
    assert main(["segment", "--model", "", str(src)]) == 2
    assert "empty model name" in capsys.readouterr().err


def test_tag_with_standard_output_closed_is_a_clear_error(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("Hà Nội", encoding="utf-8")
    r = subprocess.run(  # as `tieng tag a.txt >&-` in a shell
        [sys.executable, "-m", "tieng", "tag", str(src)],
        stderr=subprocess.PIPE,
        timeout=120,
        preexec_fn=lambda: os.close(1),
    )
    assert r.returncode == 2 and b"standard output is closed" in r.stderr
    assert b"Traceback" not in r.stderr


def test_a_record_nested_too_deeply_is_one_bad_record(tmp_path, capsys):
    src = tmp_path / "deep.jsonl"
    deep = '{"text": ' + "[" * 3000 + "]" * 3000 + "}"
    src.write_text(deep + '\n{"text": "Hà Nội"}\n{"text": null}\n', encoding="utf-8")
    errors = tmp_path / "errors.jsonl"
    assert main(["segment", str(src), "--errors-to", str(errors)]) == 2
    captured = capsys.readouterr()
    assert '"Hà_Nội"' in captured.out
    assert "line 1: invalid JSON (nested too deeply)" in captured.err
    assert "line 3: field 'text' is null, not a string" in captured.err


def test_the_progress_bar_stays_off_the_terminal_that_shows_the_output(monkeypatch, tmp_path):
    from tieng.cli import segment

    src = tmp_path / "a.txt"
    src.write_text("Hà Nội\n", encoding="utf-8")
    bars = []
    monkeypatch.setattr(segment, "_progress_bar", lambda inputs, quiet: bars.append(quiet))
    monkeypatch.setattr(segment, "_stdout_is_tty", lambda: True)
    assert main(["segment", str(src)]) == 0  # output to the terminal: no bar
    assert main(["segment", str(src), "-o", str(tmp_path / "o.txt")]) == 0  # to a file: a bar
    assert bars == [True, False]


def test_info_says_which_code_runs_and_a_missing_build_is_announced(monkeypatch, capsys, tmp_path):
    from tieng import _accel

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    expected = "compiled helpers" if _accel.speedups is not None else "Python only"
    assert "\ncode  " in out and expected in out
    # As on a machine without a C compiler: the CLI says so once, on stderr.
    monkeypatch.setattr(_accel, "_compiled", None)
    monkeypatch.delenv("TIENG_PURE_PYTHON", raising=False)
    src = tmp_path / "a.txt"
    src.write_text("Hà Nội", encoding="utf-8")
    with _accel.using(None):
        assert main(["segment", str(src)]) == 0
    err = capsys.readouterr().err
    assert "Python only (built without a C compiler" in err and "half the speed" in err


# ------------------------------------------------------------------ compressed outputs
@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_output_named_compressed_is_compressed(tmp_path, suffix, jobs):
    from tieng.files import open_input

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("Hà Nội có nhiều hồ\n" * 3, encoding="utf-8")
    b.write_text("Trời mưa to\n", encoding="utf-8")
    out = tmp_path / f"out.txt{suffix}"
    assert main(["segment", str(a), str(b), "-o", str(out), "-j", jobs, "-q"]) == 0
    raw = out.read_bytes()
    assert not raw.startswith("Hà".encode())  # not plain text under a compressed name
    with open_input(out) as f:
        assert f.read().decode() == "Hà_Nội có nhiều hồ\n" * 3 + "Trời mưa to\n"
    assert main(["segment", str(out), "-q"]) == 0  # tieng reads what it wrote


def test_a_mirrored_tree_keeps_each_files_compression(tmp_path):
    import lzma

    tree = tmp_path / "in"
    (tree / "sub").mkdir(parents=True)
    with gzip.open(tree / "a.txt.gz", "wt", encoding="utf-8") as f:
        f.write("Hà Nội có nhiều hồ\n")
    with lzma.open(tree / "sub" / "b.txt.xz", "wt", encoding="utf-8") as f:
        f.write("Trời mưa to\n")
    (tree / "c.txt").write_text("Tôi yêu Việt Nam\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["segment", str(tree), "-o", str(out), "-q"]) == 0
    assert gzip.decompress((out / "a.txt.gz").read_bytes()) == "Hà_Nội có nhiều hồ\n".encode()
    assert lzma.decompress((out / "sub" / "b.txt.xz").read_bytes()) == "Trời mưa to\n".encode()
    assert (out / "c.txt").read_text(encoding="utf-8") == "Tôi yêu Việt_Nam\n"
    plain = tmp_path / "plain"
    assert main(["segment", str(tree), "-o", str(plain), "--decompress", "-q"]) == 0
    assert (plain / "a.txt").read_text(encoding="utf-8") == "Hà_Nội có nhiều hồ\n"
    assert (plain / "sub" / "b.txt").read_text(encoding="utf-8") == "Trời mưa to\n"


def test_input_segmented_already_gets_a_hint_once(tmp_path, capsys):
    seg = tmp_path / "seg.txt"
    seg.write_text("Thành_phố sẽ đầu_tư xây_dựng hai tuyến tàu_điện_ngầm .\n" * 3, "utf-8")
    raw = tmp_path / "raw.txt"
    raw.write_text("Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm.\n", "utf-8")
    assert main(["segment", str(seg)]) == 0
    err = capsys.readouterr().err
    assert err.count("looks segmented already") == 1 and "tieng tag --segmented" in err
    assert main(["segment", str(raw)]) == 0
    assert "segmented already" not in capsys.readouterr().err
    assert main(["tag", "--segmented", str(seg)]) == 0
    assert "segmented already" not in capsys.readouterr().err
    assert main(["segment", "-q", str(seg)]) == 0
    assert capsys.readouterr().err == ""


def test_a_line_past_the_bound_is_an_error_naming_it_and_memory_stays_bounded(tmp_path, capsys):
    src = tmp_path / "z.txt"
    src.write_bytes("Hà Nội\n".encode() + b"x" * 3_000_000 + b"\nok\n")
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.txt"
        args = ["segment", str(src), "-o", str(out), "--max-line-bytes", "1048576", "-j", jobs]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "a line longer than 1,048,576 bytes" in err and "--max-line-bytes" in err
        assert not out.exists()
    r = run("segment", "--max-line-bytes", "1048576", stdin=b"x" * 3_000_000)  # a pipe
    assert r.returncode == 2 and b"<stdin>, line 1: a line longer" in r.stderr
    assert main(["segment", str(src), "--max-line-bytes", "1000"]) == 2
    assert "at least 1048576" in capsys.readouterr().err
    assert main(["segment", str(src), "-o", str(tmp_path / "ok.txt"), "-q"]) == 0  # 64 MiB


def test_an_output_reaches_the_disk_before_its_name(tmp_path, monkeypatch):
    """The file is synced before it is renamed into place, and its directory after."""
    import os as _os

    from tieng import files

    synced = []
    real = _os.fsync
    monkeypatch.setattr(files.os, "fsync", lambda fd: synced.append(fd) or real(fd))
    renamed = []
    real_replace = _os.replace
    monkeypatch.setattr(
        files.os, "replace", lambda a, b: renamed.append(len(synced)) or real_replace(a, b)
    )
    src = tmp_path / "a.txt"
    src.write_text("Hà Nội\n", encoding="utf-8")
    for name in ("out.txt", "out.txt.gz"):
        synced.clear()
        renamed.clear()
        assert main(["segment", str(src), "-o", str(tmp_path / name), "-q"]) == 0
        assert renamed == [1] and len(synced) == 2  # file, rename, then directory


def test_smaller_messages_say_what_to_do(tmp_path, capsys):
    """A wrong flag shows the command's own usage; a UTF-16 file gets the iconv command with
    its name; a plain-text .jsonl is told to use --format text; a tagger as --model is told
    to go to --tagger."""
    with pytest.raises(SystemExit):
        main(["segment", "--no-such-flag"])
    err = capsys.readouterr().err
    assert err.startswith("usage: tieng segment") and "--no-such-flag" in err
    u16 = tmp_path / "u16.txt"
    u16.write_bytes("Hà Nội".encode("utf-16"))
    assert main(["segment", str(u16)]) == 2
    assert (
        f"iconv -f UTF-16 -t UTF-8 {u16} > {tmp_path / 'u16.utf8.txt'}" in capsys.readouterr().err
    )
    plain = tmp_path / "plain.jsonl"
    plain.write_text("Hà Nội\nTrời mưa\n", encoding="utf-8")
    assert main(["segment", str(plain)]) == 2
    assert "give --format text" in capsys.readouterr().err
    assert main(["segment", "--format", "text", str(plain)]) == 0
    capsys.readouterr()
    tagger = tieng.registry.bundled_bytes("vlsp2013-pos.tieng")
    (tmp_path / "pos.tieng").write_bytes(bytes(tagger))
    assert main(["segment", "--model", str(tmp_path / "pos.tieng"), str(plain)]) == 2
    assert "--tagger" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["normalize", "--help"])
    assert "modern (the default)" in capsys.readouterr().out


def test_jsonl_with_nan_is_refused_not_echoed_into_output_that_is_not_json(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Hà Nội", "score": NaN}\n{"text": "ok", "x": 1}\n', "utf-8")
    assert main(["segment", str(src)]) == 2
    out = capsys.readouterr()
    assert "line 1: invalid JSON (NaN is not a JSON value)" in out.err
    assert [json.loads(x)["text"] for x in out.out.splitlines()] == ["ok"]
    tiny = tmp_path / "one.tieng"
    tiny.write_bytes(b"T")
    assert main(["info", "--model", str(tiny)]) == 2
    assert "the file holds only 1 byte)" in capsys.readouterr().err


def test_conllu_of_segmented_input_writes_forms_as_the_raw_path_does():
    seg = run("tag", "--segmented", "--to", "conllu", stdin="Tôi là sinh_viên .\n".encode())
    raw = run("tag", "--to", "conllu", stdin="Tôi là sinh viên.\n".encode())
    form = [line.split("\t")[1] for line in seg.stdout.decode().splitlines() if "\t" in line]
    assert form == ["Tôi", "là", "sinh viên", "."]
    assert "3\tsinh viên\t" in raw.stdout.decode()
    assert "TokenRange=7:16" in seg.stdout.decode()  # still the offsets of the input


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_errors_to_is_named(tmp_path, capsys):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"text": 1}\n{"text": "ok"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["segment", str(src), "--errors-to", "/dev/full", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "/dev/full: cannot write the failed records (No space left on device)" in err
    assert not out.exists()


@pytest.mark.parametrize("command", ["tokenize", "normalize"])
def test_tokenize_and_normalize_bound_a_line(tmp_path, capsys, monkeypatch, command):
    """/dev/zero once grew them to 4-6 GB and a MemoryError traceback: a line longer than the
    bound (64 MiB, as tieng segment's) is an error naming it, and nothing is written."""
    from tieng.cli import common

    monkeypatch.setattr(common, "MAX_LINE_BYTES", 1000)
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_bytes(b"Ha Noi\n" + b"x" * 5000)
    assert main([command, str(src), "-o", str(out)]) == 2
    assert "line 2: a line longer than 1,000 bytes" in capsys.readouterr().err
    assert not out.exists()
    src.write_bytes(b"Ha Noi\n" + b"x" * 999 + b"\n")
    assert main([command, str(src), "-o", str(out)]) == 0


def test_segment_writes_phobert_style_text_on_request(tmp_path, capsys):
    import unicodedata

    src = tmp_path / "in.txt"
    src.write_text(
        "Gửi file bao_cao.docx\n" + unicodedata.normalize("NFD", "Hoà Bình") + "\n",
        encoding="utf-8",
    )
    assert main(["segment", str(src), "--no-escape", "--nfc"]) == 0
    assert capsys.readouterr().out == "Gửi file bao_cao.docx\nHoà_Bình\n"
    assert main(["segment", str(src), "--to", "jsonl", "--text-only", "--no-escape"]) == 0
    assert '"tieng":"Gửi file bao_cao.docx"' in capsys.readouterr().out.replace(": ", ":")
    assert main(["segment", str(src), "--to", "conllu", "--nfc"]) == 2
    assert "--nfc" in capsys.readouterr().err
