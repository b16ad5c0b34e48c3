"""The HTTP service, through a real HTTP client against uvicorn on a free local port."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tieng

httpx = pytest.importorskip("httpx")  # the server and test extras install these
pytest.importorskip("fastapi")

from tieng.server import create_app  # noqa: E402


@pytest.fixture(scope="module")
def base_url(serve):
    return serve(create_app(max_body=4096))


@pytest.fixture
def client(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert r.json()["version"] == tieng.__version__


def test_segment_one_text(client):
    text = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm."
    r = client.post("/v1/segment", json={"text": text})
    assert r.status_code == 200
    (res,) = r.json()["results"]
    assert res["text"] == tieng.segment_text(text)
    assert [w["text"] for w in res["words"]] == [w.text for w in tieng.segment(text)]
    assert all(text[w["start"] : w["end"]] == w["text"] for w in res["words"])


@pytest.mark.parametrize("path", ["/v1/segment", "/v1/tag", "/v1/tokenize"])
def test_a_null_text_is_answered_with_null(client, path):
    """A batch with gaps (a column's nulls) is answered in order, null for null, on every
    endpoint and output form (issue 43, item 2)."""
    texts = [None, "Hà Nội có nhiều hồ", None]
    for extra in ({}, {"text_only": True}) if path != "/v1/tokenize" else ({},):
        r = client.post(path, json={"texts": texts, **extra})
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert results[0] is None and results[2] is None and results[1] is not None
    r = client.post(path, json={"texts": [None, None]})
    assert r.status_code == 200 and r.json()["results"] == [None, None]


def test_segment_many_texts_and_sentences(client):
    texts = ["Tôi yêu Việt Nam", "", "Trời mưa. Học sinh nghỉ học."]
    r = client.post("/v1/segment", json={"texts": texts, "sentences": True})
    assert r.status_code == 200
    results = r.json()["results"]
    assert [x["text"] for x in results] == [
        "Tôi yêu Việt_Nam",
        "",
        "Trời mưa .\nHọc_sinh nghỉ học .",
    ]
    assert [[w["text"] for w in s] for s in results[2]["sentences"]] == [
        ["Trời", "mưa", "."],
        ["Học sinh", "nghỉ", "học", "."],
    ]


def test_tokenize(client):
    r = client.post("/v1/tokenize", json={"text": "Giá tăng 3,5% (TP. HCM)"})
    toks = [t["text"] for t in r.json()["results"][0]["tokens"]]
    assert toks == ["Giá", "tăng", "3,5", "%", "(", "TP.", "HCM", ")"]
    assert set(r.json()["results"][0]["tokens"][0]) == {"text", "start", "end"}  # no null field


def test_text_typed_without_diacritics_goes_to_its_model_or_gets_a_hint(client):
    texts = ["hoc muon vi", "Tôi yêu Việt Nam", "I want to go home", "di vi"]
    for sentences in (False, True):
        for text_only in (False, True):
            body = {"texts": texts, "sentences": sentences, "text_only": text_only}
            results = client.post("/v1/segment", json=body).json()["results"]
            assert [x["model"] for x in results] == [
                "vlsp2013-unaccented",
                "vlsp2013",
                "vlsp2013",
                "vlsp2013-unaccented",
            ]
            assert all("hint" not in x for x in results)
        # A model asked for by name reads everything, with a hint where it does not fit.
        body = {"texts": texts, "sentences": sentences, "model": "vlsp2013"}
        results = client.post("/v1/segment", json=body).json()["results"]
        hints = [x.get("hint") for x in results]
        assert [h is not None for h in hints] == [True, False, False, True]
        assert "vlsp2013-unaccented" in hints[0] and all("model" not in x for x in results)


@pytest.mark.parametrize(
    "body, needle",
    [
        ("{not json", "JSON"),
        (json.dumps({"text": 5}), "text"),
        (json.dumps({"texts": "abc"}), "texts"),
        (json.dumps({}), "exactly one"),
        (json.dumps({"text": "a", "texts": ["b"]}), "exactly one"),
        (json.dumps({"text": "a", "colour": "red"}), "colour"),
        (json.dumps([1, 2]), ""),
    ],
)
def test_bad_requests_get_a_4xx_json_error(client, body, needle):
    r = client.post("/v1/segment", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500
    err = r.json()
    assert "error" in err and needle in json.dumps(err)


def test_body_over_the_limit_gets_413(client):
    r = client.post("/v1/segment", json={"text": "Hà Nội " * 1000})
    assert r.status_code == 413 and "larger than 4096" in r.json()["error"]

    def chunks():  # no Content-Length: the limit holds while reading
        for _ in range(10):
            yield b" " * 1000

    r = client.post("/v1/segment", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_page_and_openapi(client):
    page = client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text
    # works offline, no CDN: no address but the SVG namespace's name (an identifier, never
    # fetched) for the page's dependency trees
    text = page.text.replace('"http://www.w3.org/2000/svg"', "")
    assert "http://" not in text and "https://" not in text
    schema = client.get("/openapi.json").json()
    assert {"/v1/segment", "/v1/tokenize", "/healthz"} <= set(schema["paths"])


def test_schemathesis_finds_no_server_errors(base_url):
    """Property-based requests from the OpenAPI schema: no 5xx and responses match it."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{base_url}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance",
            "--max-examples",
            "40",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]


def test_serve_without_the_extra_says_what_to_install(tmp_path):
    code = (
        "import sys; sys.modules['uvicorn'] = None\n"
        "from tieng.cli import main\n"
        "sys.exit(main(['serve']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "pip install '.[server]'" in out.stderr


def test_segment_with_confidence(client):
    text = "Hà Nội mưa to. Trời lạnh."
    r = client.post("/v1/segment", json={"text": text, "confidence": True})
    assert r.status_code == 200
    (res,) = r.json()["results"]
    words = tieng.Segmenter()(text, confidence=True).words
    assert [w["text"] for w in res["words"]] == [w.text for w in words]
    assert [w["confidence"] for w in res["words"]] == [round(w.confidence, 4) for w in words]
    r = client.post("/v1/segment", json={"text": text, "confidence": True, "sentences": True})
    (res,) = r.json()["results"]
    assert [len(s) for s in res["sentences"]] == [4, 3]
    assert all(0 < w["confidence"] <= 1 for s in res["sentences"] for w in s)
    plain = client.post("/v1/segment", json={"text": text}).json()["results"][0]
    assert all("confidence" not in w for w in plain["words"])


@pytest.mark.parametrize(
    "option, entry, text, expected",
    [
        ("user_dict", "mưa to", "Hà Nội mưa to", "Hà_Nội mưa_to"),
        ("known_words", "hoán dụ", "phép hoán dụ", "phép hoán_dụ"),
    ],
)
def test_app_with_a_user_dictionary(serve, tmp_path, option, entry, text, expected):
    words = tmp_path / "words.txt"
    words.write_text(entry + "\n", encoding="utf-8")
    url = serve(create_app(**{option: str(words)}))
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/v1/segment", json={"text": text})
    assert r.json()["results"][0]["text"] == expected


def test_app_with_a_bundled_model_by_name(serve, monkeypatch):
    monkeypatch.setenv("TIENG_MODEL", "vlsp2013-unaccented")  # as `tieng serve --model` sets it
    url = serve(create_app())
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/v1/segment", json={"text": "Ha Noi co nhieu ho dep"})
    assert r.json()["results"][0]["text"] == "Ha_Noi co nhieu ho dep"


def test_requests_are_segmented_a_few_at_a_time(serve, monkeypatch):
    # CPU-bound work under the GIL: running every queued request at once only costs memory.
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import tieng.server

    lock, active, peak = threading.Lock(), [0], [0]

    class Slow(tieng.Segmenter):
        def pipe(self, texts, *args, **kwargs):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.2)
            out = list(super().pipe(texts, *args, **kwargs))
            with lock:
                active[0] -= 1
            return out

    monkeypatch.setattr(tieng.server, "Segmenter", Slow)
    url = serve(create_app())

    def post(i):
        with httpx.Client(base_url=url, timeout=30) as c:
            return c.post("/v1/segment", json={"text": f"Hà Nội {i}"})

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(post, range(8)))
    assert [r.status_code for r in replies] == [200] * 8
    assert replies[3].json()["results"][0]["text"] == "Hà_Nội 3"
    assert 1 <= peak[0] <= tieng.server._CONCURRENT


@pytest.mark.parametrize("path", ["/v1/segment", "/v1/tokenize"])
def test_a_lone_surrogate_is_a_clear_4xx_not_a_500(client, path):
    for body in ('{"text": "a\\ud800b"}', '{"texts": ["ok", "x\\udfff"]}'):
        r = client.post(path, content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert "lone surrogate" in r.json()["error"]
    # A surrogate pair is one character (an emoji) and is fine.
    r = client.post(path, content='{"text": "vui \\ud83d\\ude00"}',
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 200


_ANY_CHAR = st.characters(codec=None, categories=None)
_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        _ANY_CHAR | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=20
    ),
    path=st.sampled_from(["/v1/segment", "/v1/tokenize"]),
    confidence=st.booleans(),
    sentences=st.booleans(),
)
def test_no_string_makes_a_server_error(base_url, text, path, confidence, sentences):
    body = {"texts": [text, "Hà Nội"]}
    if path == "/v1/segment":
        body.update(confidence=confidence, sentences=sentences)
    with httpx.Client(base_url=base_url, timeout=30) as c:
        r = c.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code < 500, r.text
    # JSON joins a high and a low surrogate written side by side into one character.
    received = json.loads(json.dumps(text))
    assert r.status_code == (422 if any(0xD800 <= ord(c) <= 0xDFFF for c in received) else 200)


def test_text_only_gives_the_underscore_text_alone(client):
    texts = ["Tôi yêu Việt Nam", "Trời mưa. Học sinh nghỉ học."]
    r = client.post("/v1/segment", json={"texts": texts, "text_only": True})
    assert r.status_code == 200
    assert r.json() == {
        "results": [{"text": tieng.segment_text(t), "model": "vlsp2013"} for t in texts]
    }
    r = client.post("/v1/segment", json={"texts": texts, "text_only": True, "sentences": True})
    assert [x["text"] for x in r.json()["results"]][1] == "Trời mưa .\nHọc_sinh nghỉ học ."
    r = client.post("/v1/segment", json={"text": "a", "text_only": True, "confidence": True})
    assert r.status_code == 422 and "text_only" in r.json()["error"]


def test_a_request_may_pick_a_bundled_model_and_add_words(client):
    r = client.post("/v1/segment", json={"text": "Toi yeu Ha Noi", "model": "vlsp2013-unaccented"})
    (res,) = r.json()["results"]
    assert res["text"] == "Toi yeu Ha_Noi" and "hint" not in res
    r = client.post("/v1/segment", json={"text": "Toi yeu Ha Noi"})  # the default routes it
    assert r.json()["results"][0] == {**res, "model": "vlsp2013-unaccented"}
    r = client.post("/v1/segment", json={"text": "Toi yeu Ha Noi", "model": "vlsp2013"})
    assert '"model": "vlsp2013-unaccented"' in r.json()["results"][0]["hint"]
    r = client.post("/v1/segment", json={"text": "Đây là hoán dụ", "words": ["hoán dụ"]})
    assert r.json()["results"][0]["text"] == "Đây là hoán_dụ"
    r = client.post("/v1/segment", json={"text": "x", "model": "nope"})
    assert r.status_code == 422 and "not served here" in r.json()["error"]
    r = client.post("/v1/segment", json={"text": "Tôi ăn", "words": ["", "  "]})  # blank: none
    assert r.status_code == 200 and r.json()["results"][0]["text"] == "Tôi ăn"


@pytest.fixture(scope="module")
def strict_url(serve):
    """A service that takes one request at a time, waits 0.5 s for a turn and 1 s per part
    of a body."""
    return serve(create_app(in_flight=1, queue_wait=0.5, body_timeout=1.0))


def _open_request(base_url: str, body: bytes, declared: int):
    """A socket that has sent the headers of a POST and ``body``, but not all it declared."""
    import socket
    from urllib.parse import urlparse

    u = urlparse(base_url)
    sock = socket.create_connection((u.hostname, u.port), timeout=10)
    head = (
        f"POST /v1/segment HTTP/1.1\r\nHost: {u.hostname}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    )
    sock.sendall(head.encode() + body)
    return sock


def _status(sock) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return int(data.split(b" ", 2)[1]), data


def test_a_body_that_stalls_gets_408(strict_url):
    import time

    sock = _open_request(strict_url, '{"text": "Hà'.encode(), 100)  # 12 of 100 bytes, then nothing
    start = time.monotonic()
    status, _ = _status(sock)
    sock.close()
    assert status == 408 and 0.9 < time.monotonic() - start < 5


@pytest.fixture
def slow_work(monkeypatch):
    """Segmenting takes 1.5 s for the text "chậm" (a request that holds its turn while it is
    worked on, as a very large batch does)."""
    import time

    real = tieng.Segmenter.pipe

    def pipe(self, texts, **options):
        if list(texts) == ["chậm"]:
            time.sleep(1.5)
        return real(self, texts, **options)

    monkeypatch.setattr(tieng.Segmenter, "pipe", pipe)


def _slow_request(base_url: str):
    """A request that holds the one turn of the strict service for 1.5 s, in a thread."""
    import threading

    def run():
        with httpx.Client(base_url=base_url, timeout=30) as c:
            c.post("/v1/segment", json={"text": "chậm"})

    t = threading.Thread(target=run)
    t.start()
    import time

    time.sleep(0.3)  # it has its turn now
    return t


def test_requests_beyond_the_bound_wait_then_get_503(strict_url, slow_work):
    busy = _slow_request(strict_url)
    try:
        with httpx.Client(base_url=strict_url, timeout=30) as c:
            r = c.post("/v1/segment", json={"text": "Hà Nội"})
            assert r.status_code == 503 and r.headers["retry-after"] == "1"
            assert "busy" in r.json()["error"]
            assert c.get("/healthz").status_code == 200  # reads never queue
    finally:
        busy.join()
    with httpx.Client(base_url=strict_url, timeout=30) as c:  # the turn is free again
        assert c.post("/v1/segment", json={"text": "Hà Nội"}).status_code == 200


def test_bodies_sent_slowly_hold_no_turn(strict_url):
    """Clients that send their bodies a byte now and then once held every turn, and everyone
    else got 503: a body is read before its request takes a turn."""
    slow = [_open_request(strict_url, '{"text": "Hà'.encode(), 100) for _ in range(3)]
    try:
        with httpx.Client(base_url=strict_url, timeout=30) as c:
            for _ in range(3):
                assert c.post("/v1/segment", json={"text": "Hà Nội"}).status_code == 200
    finally:
        for sock in slow:
            sock.close()


def test_serve_has_the_bounds_as_options(capsys):
    from tieng.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.in_flight, args.queue_wait, args.body_timeout) == (4, 10.0, 10.0)
    assert (args.max_connections, args.keep_alive, args.header_timeout) == (512, 5.0, 10.0)


def test_an_app_that_owns_its_process_keeps_its_objects_out_of_the_collector():
    """tieng serve's workers freeze what start-up made (gc.freeze): the collections that
    a large request's short-lived objects trigger then skip the app and the model."""
    import gc

    from tieng.server import GC_THRESHOLD

    gc.unfreeze()
    threshold = gc.get_threshold()
    create_app()  # a library user's process: left alone
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold
    try:
        create_app(own_process=True)
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold()[0] == GC_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_a_json_body_is_read_whatever_its_content_type(client):
    """Plain `curl -d` sends a form's content type: the body is JSON all the same."""
    for kind in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = {"Content-Type": kind} if kind else {}
        r = client.post("/v1/segment", content='{"text": "Hà Nội"}'.encode(), headers=headers)
        assert r.status_code == 200 and r.json()["results"][0]["text"] == "Hà_Nội"


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "the body is not valid JSON"),
        ("[1, 2]", "the body must be a JSON object"),
        ("", "the body is empty"),  # (once 'body: Field required', without an example)
        ('{"txt": "Hà Nội"}', "body.txt: Extra inputs are not permitted"),  # (the same)
    ],
)
def test_a_malformed_body_gets_one_clear_message_and_an_example(client, body, message):
    r = client.post("/v1/segment", content=body.encode())
    assert r.status_code == 422
    error = r.json()["error"]
    assert error.startswith(message) and '{"text": "Hà Nội có nhiều hồ"}' in error


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_queued_large_body_gets_its_503_not_a_reset(strict_url, slow_work):
    """A request that waited for a turn in vain gets its 503 whole, even with a large body
    (closing a socket with unread data resets the connection)."""
    import time

    body = json.dumps({"text": "Hà Nội có nhiều hồ. " * 33_000}, ensure_ascii=False).encode()
    assert 800_000 < len(body) < 1 << 20
    for _ in range(2):
        busy = _slow_request(strict_url)
        sock = _open_request(strict_url, body, len(body))
        time.sleep(1.0)  # the answer is there before it is read
        try:
            status, head = _status(sock)
            assert status == 503, head
        finally:
            sock.close()
            busy.join()


def _start_serve(*options: str) -> tuple[subprocess.Popen, str, int]:
    """A real `tieng serve` on a free local port, once it answers /healthz."""
    import time

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tieng", "serve", "--port", str(port), "--no-access-log", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return proc, base, port


@pytest.fixture(scope="module")
def guarded_service():
    """A real `tieng serve` on 127.0.0.1: 1 s to send a request's head, 16 connections."""
    proc, base, port = _start_serve(
        "--header-timeout", "1", "--max-connections", "16", "--body-timeout", "1"
    )
    try:
        yield base, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_idle_and_slow_connections_are_closed_and_health_is_always_answered(guarded_service):
    """Connections that send nothing, or a header byte now and then, hold no slot for long;
    while they are open, /healthz still answers."""
    import socket
    import time

    base, port = guarded_service
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
    slow = socket.create_connection(("127.0.0.1", port), timeout=5)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    try:
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200  # over the limit
        for _ in range(3):  # a header byte every 0.5 s: still closed after 1 s in all
            time.sleep(0.5)
            try:
                slow.sendall(b"X")
            except OSError:
                break
        time.sleep(0.8)
        closed = 0
        for s in [*idle, slow]:
            try:
                closed += s.recv(1) == b""
            except (ConnectionResetError, TimeoutError, OSError):
                closed += 1
        assert closed == 21
        r = httpx.post(base + "/v1/segment", json={"text": "Hà Nội"}, timeout=10)
        assert r.status_code == 200 and r.json()["results"][0]["text"] == "Hà_Nội"
    finally:
        for s in [*idle, slow]:
            s.close()


def test_a_body_that_trickles_gets_a_408_at_the_deadline(guarded_service):
    """Each part of a body in time is not enough: the whole must come within three times
    the part's timeout (here 3 s), else 408."""
    import socket
    import time

    _, port = guarded_service
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(
        b"POST /v1/segment HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    start = time.monotonic()
    reply = b""
    try:
        while time.monotonic() - start < 8 and not reply:
            s.sendall(b" ")
            time.sleep(0.5)
            s.setblocking(False)
            try:
                reply = s.recv(4096)
            except BlockingIOError:
                pass
            s.setblocking(True)
    finally:
        s.close()
    assert reply.startswith(b"HTTP/1.1 408") and 2.5 < time.monotonic() - start < 6


def _memory_mb(pid: int) -> dict[str, float]:
    with open(f"/proc/{pid}/status") as f:
        return {
            k: int(v.split()[0]) / 1024
            for k, v in (line.split(":", 1) for line in f)
            if k in ("VmRSS", "VmHWM", "RssAnon")
        }


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_a_one_mib_request_takes_bounded_memory_and_gives_it_back():
    """A real `tieng serve`: a 1 MiB request with words, offsets and tags peaks at most
    150 MB above the idle worker, and a moment later the worker's own memory (anonymous: not
    the pages of the mapped model files the request read) is back within 20 MB of idle."""
    import json
    import time

    proc, base, _ = _start_serve()
    try:
        sample = (Path(tieng.__file__).parent / "data" / "sample.txt").read_text(encoding="utf-8")
        lines = [x for x in sample.splitlines() if x.strip()]  # to 1 MiB
        lines = [lines[i % len(lines)] for i in range(20_000)]
        body = json.dumps({"texts": lines}, ensure_ascii=False).encode()
        body = body[: body.rfind(b'", "', 0, (1 << 20) - 10) + 1] + b"]}"
        idle = _memory_mb(proc.pid)
        for _ in range(2):
            r = httpx.post(
                base + "/v1/tag",
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=120,
            )
            assert r.status_code == 200 and len(r.json()["results"]) > 5_000, r.text[:300]
        for _ in range(30):  # the worker gives memory back once idle, a moment later
            time.sleep(0.1)
            now = _memory_mb(proc.pid)
            if now["RssAnon"] <= idle["RssAnon"] + 20:
                break
        assert now["VmHWM"] - idle["VmRSS"] <= 150, (idle, now)
        assert now["RssAnon"] - idle["RssAnon"] <= 20, (idle, now)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_two_workers_start_and_both_answer():
    """`tieng serve --workers 2` starts (uvicorn hands the protocol to its workers by name)
    and both workers take requests."""
    from concurrent.futures import ThreadPoolExecutor

    proc, base, _ = _start_serve("--workers", "2")
    try:
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200

        def ask(_):
            with httpx.Client() as client:  # a new connection each time
                health = client.get(base + "/healthz", timeout=10).json()
                text = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm. " * 40
                r = client.post(base + "/v1/segment", json={"text": text}, timeout=10)
                return health["worker"], r.status_code

        workers: set[int] = set()
        for _ in range(10):  # the kernel hands connections to whichever worker waits
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(ask, range(16)))
            assert all(code == 200 for _, code in answers)
            workers |= {w for w, _ in answers}
            if len(workers) == 2:
                break
        assert len(workers) == 2 and proc.pid not in workers
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_one_client_address_holds_a_bounded_number_of_connections():
    """520 idle sockets from one address, reconnecting when closed, once kept every POST at
    503: one more connection than --per-client from an address gets 503 and is closed, and
    other addresses are served meanwhile."""
    import socket

    proc, base, port = _start_serve("--per-client", "4")
    held = []
    try:
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
        extra = socket.create_connection(("127.0.0.1", port), timeout=5)
        status, data = _status(extra)
        extra.close()
        assert status == 503 and b"too many connections from this address" in data
        other = httpx.HTTPTransport(local_address="127.0.0.2")  # another client address
        with httpx.Client(transport=other, timeout=10) as c:
            r = c.post(
                base.replace("127.0.0.1", "127.0.0.1") + "/v1/segment", json={"text": "Hà Nội"}
            )
            assert r.status_code == 200
        held.pop().close()  # a slot is free again for the first address
        import time

        time.sleep(0.2)
        assert (
            httpx.post(base + "/v1/segment", json={"text": "Hà Nội"}, timeout=10).status_code == 200
        )
    finally:
        for sock in held:
            sock.close()
        proc.terminate()
        proc.wait(timeout=30)


def test_the_browser_s_icon_request_is_no_error(client):
    """The page's first load once logged a /favicon.ico 404 in the browser."""
    r = client.get("/favicon.ico")
    assert r.status_code == 204 and not r.content


def test_restore_endpoint(client):
    """Issue 41: POST /v1/restore, nulls answered with null, syllables on request."""
    r = client.post("/v1/restore", json={"texts": ["Toi yeu Ha Noi", None, "email: a@b.vn"]})
    assert r.status_code == 200, r.text
    assert r.json()["results"] == [{"text": "Tôi yêu Hà Nội"}, None, {"text": "email: a@b.vn"}]
    r = client.post("/v1/restore", json={"text": "Ha Noi", "confidence": True})
    (res,) = r.json()["results"]
    assert res["text"] == "Hà Nội"
    assert [(s["original"], s["text"], s["start"]) for s in res["syllables"]] == [
        ("Ha", "Hà", 0),
        ("Noi", "Nội", 3),
    ]
    assert all(0 < s["confidence"] <= 1 for s in res["syllables"])
    assert client.post("/v1/restore", json={"text": 3}).status_code == 422


def test_segment_and_tag_with_restore(client):
    r = client.post("/v1/tag", json={"text": "Thanh pho se dau tu", "restore": True})
    (res,) = r.json()["results"]
    assert res["restored"] == "Thành phố sẽ đầu tư"
    assert res["model"] == "vlsp2013-unaccented"
    assert res["tagged"] == "Thanh_pho/N se/R dau_tu/V"
    assert [w["text"] for w in res["words"]] == ["Thanh pho", "se", "dau tu"]
    r = client.post("/v1/segment", json={"text": "Hà Nội"})
    assert "restored" not in r.json()["results"][0]
    r = client.post("/v1/segment", json={"text": "Ha Noi", "restore": True, "text_only": True})
    assert r.status_code == 422


def test_parse_endpoint(client):
    """Issue 42: POST /v1/parse gives each word's head and relation, sentence by sentence."""
    r = client.post("/v1/parse", json={"texts": ["Tôi đọc sách. Trời mưa to.", None]})
    assert r.status_code == 200, r.text
    res, gap = r.json()["results"]
    assert gap is None
    assert len(res["sentences"]) == 2
    first = res["sentences"][0]
    assert [(w["text"], w["head"], w["deprel"]) for w in first] == [
        ("Tôi", 2, "nsubj"),
        ("đọc", 0, "root"),
        ("sách", 2, "obj"),
        (".", 2, "punct"),
    ]
    r = client.post("/v1/parse", json={"text": "Tôi đọc sách .", "segmented": True})
    assert [w["head"] for w in r.json()["results"][0]["words"]] == [2, 0, 2, 2]
    assert client.post("/v1/parse", json={"text": "Tôi", "text_only": True}).status_code == 422
