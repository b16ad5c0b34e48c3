"""tieng.spark on a local Spark session (pyspark from PyPI, the machine's Java)."""

import subprocess
import sys

import pytest

import tieng

pytest.importorskip("pyspark")  # the test extra installs it; Spark needs Java too


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The Python workers run this interpreter, which has tieng, even when the suite is run as
    # venv/bin/python -m pytest without the venv on PATH (pyspark would start "python3").
    session = (
        SparkSession.builder.master("local[2]")
        .appName("tieng-test")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_segment_column(spark):
    from tieng.spark import segment_column

    rows = [
        (1, "Thành phố sẽ đầu tư xây dựng tàu điện ngầm."),
        (2, None),
        (3, "Tôi yêu Việt Nam"),
        (4, ""),
    ]
    df = spark.createDataFrame(rows, "id long, text string").repartition(2)
    out = segment_column(df, "text", "seg").orderBy("id").collect()
    assert [r.id for r in out] == [1, 2, 3, 4]
    assert out[0].seg == tieng.segment_text(rows[0][1])
    assert out[1].seg is None and out[3].seg == ""
    assert out[2].seg == "Tôi yêu Việt_Nam" and out[2].text == "Tôi yêu Việt Nam"
    with pytest.raises(ValueError, match="no column"):
        segment_column(df, "body")


def test_segment_column_gives_what_the_library_gives(spark):
    """Line breaks inside a text, CRLF, blank lines and escapes: the same text as the
    library's one call and its pipe."""
    from tieng.spark import segment_column

    texts = [
        "Hà Nội có\nnhiều hồ",
        "Tôi yêu Việt Nam\r\n\r\nTrời mưa to.\r\n",
        "Tệp cau_hinh.txt ở C:\\du_lieu",
        "Ông Nguyễn Văn An, 45 tuổi. Ảnh: Ngọc Thành",
    ]
    df = spark.createDataFrame(list(enumerate(texts)), "id long, text string").repartition(2)
    out = [r.seg for r in segment_column(df, "text", "seg").orderBy("id").collect()]
    seg = tieng.Segmenter()
    assert out == [seg(t).text for t in texts] == list(seg.pipe_text(texts))
    tagged = [
        r.tagged for r in segment_column(df, "text", "tagged", tags=True).orderBy("id").collect()
    ]
    assert (
        tagged == [seg(t, tags=True).tagged for t in texts] == list(seg.pipe_text(texts, tags=True))
    )
    assert tagged[0].startswith("Hà_Nội/Np có/V\n")


def test_segment_column_with_a_dictionary(spark):
    from tieng.spark import segment_column

    df = spark.createDataFrame([(1, "Hà Nội mưa to, phép nội suy")], "id long, text string")
    d = tieng.UserDictionary(["mưa to"], known=["nội suy"])
    out = segment_column(df, "text", "seg", dictionary=d).collect()
    assert out[0].seg == "Hà_Nội mưa_to , phép nội_suy"


def test_import_tieng_does_not_import_pyspark():
    code = "import sys, tieng; tieng.segment('Hà Nội'); print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_restore_column_and_parse(spark):
    """Issues 41 and 42: restore_column, and segment_column with parse=True, in one job."""
    from tieng.spark import restore_column, segment_column

    rows = [(1, "Thanh pho se dau tu"), (2, None), (3, "email cua toi: a@b.vn"), (4, "Hà Nội")]
    df = spark.createDataFrame(rows, "id long, text string").repartition(2)
    both = segment_column(restore_column(df, "text"), "restored", "tree", parse=True)
    out = both.orderBy("id").collect()
    assert [r.restored for r in out] == [
        "Thành phố sẽ đầu tư",
        None,
        "email của tôi: a@b.vn",
        "Hà Nội",
    ]
    assert [r.text for r in out] == [t for _, t in rows]
    assert out[1].tree is None
    alone = next(iter(tieng.Segmenter().pipe_text(["Hà Nội"], parse=True)))

    def body(conllu):  # (# sent_id numbers the texts of each batch)
        return [ln for ln in conllu.splitlines() if not ln.startswith("# sent_id")]

    assert body(out[3].tree) == body(alone)
    with pytest.raises(ValueError, match="exists already"):
        restore_column(df, "text", "id")
