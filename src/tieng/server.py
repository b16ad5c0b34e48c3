"""The HTTP service: a versioned JSON API and a page to try it (``pip install 'tieng[server]'``).

Start it with ``tieng serve``.  The application is built by :func:`create_app`; settings come
from its arguments or, for ``--workers`` (each worker imports the app afresh), from the
environment variables ``TIENG_MODEL``, ``TIENG_MAX_BODY``, ``TIENG_USER_DICT`` and
``TIENG_NEVER_JOIN``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import threading
from importlib import resources
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .dictionary import DictionaryError, UserDictionary
from .normalization import UNACCENTED, looks_unaccented, reads_unaccented
from .results import tag_segmented
from .segmentation import BUNDLED_MODELS, Segmenter
from .tokenization import tokenize

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_IN_FLIGHT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_QUEUE_WAIT",
    "create_app",
]

DEFAULT_MAX_BODY = 1 << 20  # bytes
DEFAULT_IN_FLIGHT = 4  # requests being read, segmented or answered at once, per worker
DEFAULT_QUEUE_WAIT = 10.0  # seconds a request may wait for a turn before a 503
DEFAULT_BODY_TIMEOUT = 10.0  # seconds for each part of a request body to arrive
BODY_DEADLINE_FACTOR = 3  # ... and for the whole body, this many times that
DEFAULT_HEADER_TIMEOUT = 10.0  # seconds from a connection (or an answer) to a request's head
# Requests segmented at once by one worker.  The work is CPU-bound and holds the GIL, so more
# threads add no speed, only memory (each running request holds its arrays and its results).
_CONCURRENT = 2


class _BadRequest(Exception):
    """A request the schema admits but the service cannot serve (an unknown model, say)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


# ------------------------------------------------------------------ schema
class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(None, description="One text (give this or `texts`).")
    texts: list[str] | None = Field(None, description="Many texts, answered in order.")

    @model_validator(mode="after")
    def _one_of(self) -> _Input:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' and 'texts'")
        for i, text in enumerate(self.all_texts()):
            bad = _SURROGATE.search(text)
            if bad:
                where = "text" if self.text is not None else f"texts[{i}]"
                raise ValueError(
                    f"{where} holds a lone surrogate (\\u{ord(bad.group()):04x} at offset "
                    f"{bad.start()}), half of a UTF-16 pair, which is not a character: send "
                    "valid Unicode"
                )
        return self

    def all_texts(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts or [])


class SegmentRequest(_Input):
    """Texts to segment, and how."""

    sentences: bool = Field(
        False,
        description="Split into sentences: `text` gets one sentence a line, and "
        "`sentences` lists the words of each.",
    )
    confidence: bool = Field(
        False, description="Give each word a calibrated `confidence` (0-1) that it is right."
    )
    text_only: bool = Field(
        False,
        description="Give each result's `text` (the underscore format) alone, without "
        "`words` and offsets: several times faster for large batches.",
    )
    model: str | None = Field(
        None,
        description="A bundled model by name (`vlsp2013`, or `vlsp2013-unaccented` for text "
        "typed without diacritics) when the service runs a bundled model; default: the "
        "service's model.",
        max_length=64,
    )
    words: list[str] | None = Field(
        None,
        description="Words to join in these texts (a user dictionary for this request, on "
        "top of the service's): each a word of several syllables, written with spaces.",
        max_length=1000,
    )

    @model_validator(mode="after")
    def _text_only(self) -> SegmentRequest:
        if self.text_only and self.confidence:
            raise ValueError("'confidence' goes with words, which 'text_only' leaves out")
        return self


class TagRequest(SegmentRequest):
    """Texts to segment and tag, and how."""

    segmented: bool = Field(
        False,
        description="The texts are segmented already (words by spaces, the syllables of a "
        "word joined by `_`): tag them as they are, each text one sentence. Offsets are "
        "then into the segmented text.",
    )

    @model_validator(mode="after")
    def _segmented_alone(self) -> TagRequest:
        if self.segmented and (self.sentences or self.confidence or self.words):
            raise ValueError(
                "'sentences', 'confidence' and 'words' are about segmenting, which "
                "'segmented' texts do not need"
            )
        return self


class TokenizeRequest(_Input):
    """Texts to tokenize."""


class Word(BaseModel):
    text: str = Field(description="The word exactly as in the input.")
    start: int = Field(description="Offset of its first character (code points).")
    end: int = Field(description="Offset just past its last character.")
    confidence: float | None = Field(
        None, description="Probability that the word is right (asked with `confidence`)."
    )
    tag: str | None = Field(None, description="Its part of speech, a VLSP 2013 tag (from /v1/tag).")


class Segmented(BaseModel):
    text: str = Field(
        description="The VLSP underscore format (from /v1/tag with `text_only`: the tagged "
        "format, each word followed by /TAG)."
    )
    tagged: str | None = Field(
        None, description="From /v1/tag: the text with each word followed by /TAG."
    )
    words: list[Word] | None = Field(None, description="Left out with `text_only`.")
    sentences: list[list[Word]] | None = None
    hint: str | None = Field(
        None,
        description="Present when the text looks typed without diacritics, which the "
        "model asked for does not read well: names the model that fits it.",
    )
    model: str | None = Field(
        None,
        description="The bundled model that read the text, when the service chose it (no "
        "`model` in the request, and the service runs the default): vlsp2013, or "
        "vlsp2013-unaccented for text typed without diacritics.",
    )


class Token(BaseModel):
    text: str = Field(description="The token exactly as in the input.")
    start: int = Field(description="Offset of its first character (code points).")
    end: int = Field(description="Offset just past its last character.")


class SegmentResponse(BaseModel):
    results: list[Segmented]


class Tokenized(BaseModel):
    tokens: list[Token]


class TokenizeResponse(BaseModel):
    results: list[Tokenized]


class Health(BaseModel):
    status: str
    version: str
    model: dict[str, Any]


class Error(BaseModel):
    error: str
    detail: Any = None


# ------------------------------------------------------------------ body limit
class _Admission:
    """Bounds on what the service holds: at most ``in_flight`` requests at once (from the
    first byte of the body to the last of the answer), the others waiting up to
    ``queue_wait`` seconds for a turn, then 503 with Retry-After; a body of at most ``limit``
    bytes (413), each part of it arriving within ``body_timeout`` seconds (408).  When a
    large request is done and none is in flight, freed memory goes back to the system."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        in_flight: int = DEFAULT_IN_FLIGHT,
        queue_wait: float = DEFAULT_QUEUE_WAIT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = in_flight
        self.queue_wait = queue_wait
        self.body_timeout = body_timeout
        self._turns: asyncio.Semaphore | None = None  # made in the event loop's thread
        self._busy = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if self._turns is None:
            self._turns = asyncio.Semaphore(self.in_flight)
        if not self._turns.locked():
            await self._turns.acquire()  # a free turn: no timer needed
        else:
            try:
                await asyncio.wait_for(self._turns.acquire(), self.queue_wait)
            except asyncio.TimeoutError:
                await _error(send, 503, "the service is busy; try again", {"Retry-After": "1"})
                return
        self._busy += 1
        large = [False]
        try:
            await self._admitted(scope, receive, send, large)
        finally:
            self._busy -= 1
            self._turns.release()
            if large[0] and self._busy == 0:
                _give_back_memory()  # costly: only after a large request, when idle

    async def _admitted(self, scope: Scope, receive: Receive, send: Send, large: list) -> None:
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._too_large(send)
                    return
        # Read the body (at most ``limit`` bytes) before the app sees it, then replay it.
        # Each part must come within ``body_timeout``, and the whole body within a few times
        # that: a byte every few seconds would otherwise hold a turn for ever.
        chunks: list[bytes] = []
        seen = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BODY_DEADLINE_FACTOR * self.body_timeout
        while True:
            wait = min(self.body_timeout, deadline - loop.time())
            try:
                if wait <= 0:
                    raise asyncio.TimeoutError
                message = await asyncio.wait_for(receive(), wait)
            except asyncio.TimeoutError:
                whole = BODY_DEADLINE_FACTOR * self.body_timeout
                await _error(
                    send,
                    408,
                    f"request body not received in time (each part within "
                    f"{self.body_timeout:g} s, the whole within {whole:g} s)",
                )
                return
            if message["type"] != "http.request":
                return  # the client went away
            body = message.get("body", b"")
            seen += len(body)
            if seen > self.limit:
                await self._too_large(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        large[0] = seen >= _LARGE_BODY
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        # A JSON body sent without saying so (plain `curl -d`, a form's content type) is read
        # as JSON all the same: the API takes nothing else.
        headers = scope.get("headers", [])
        kind = next((v for k, v in headers if k == b"content-type"), b"")
        if b"json" not in kind.lower():
            headers = [(k, v) for k, v in headers if k != b"content-type"]
            scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await _error(send, 413, f"request body larger than {self.limit} bytes")


async def _error(send: Send, status: int, message: str, headers: dict | None = None) -> None:
    response = JSONResponse({"error": message}, status_code=status, headers=headers)
    await response({"type": "http"}, _nothing, send)


def _give_back_memory() -> None:
    """Return freed heap memory to the system (glibc's malloc_trim), so the service's memory
    goes back near its idle level after a burst of large requests."""
    global _libc
    if _libc is None:
        try:
            import ctypes

            _libc = ctypes.CDLL(None)
            _libc.malloc_trim  # noqa: B018  (glibc only)
        except (OSError, AttributeError):
            _libc = False
    if _libc:
        _libc.malloc_trim(0)


_libc: Any = None
_LARGE_BODY = 256 << 10  # bytes: a request this large may leave tens of MB to give back


async def _nothing() -> Message:  # pragma: no cover - never called for a plain response
    return {"type": "http.disconnect"}


# ------------------------------------------------------------------ application
def _spans(words) -> list[dict[str, Any]]:
    return [{"text": w.text, "start": w.start, "end": w.end} for w in words]


def _words(words, confidence: bool, tags: bool) -> list[dict[str, Any]]:
    """The JSON of words: text and offsets, and confidence and tag when asked for."""
    if not confidence and not tags:
        return _spans(words)
    out = _spans(words)
    for d, w in zip(out, words):
        if confidence:
            d["confidence"] = round(w.confidence, 4)
        if tags:
            d["tag"] = w.tag
    return out


def create_app(
    model: str | None = None,
    max_body: int | None = None,
    user_dict: str | None = None,
    never_join: str | None = None,
    known_words: str | None = None,
    *,
    in_flight: int | None = None,
    queue_wait: float | None = None,
    body_timeout: float | None = None,
    own_process: bool | None = None,
) -> FastAPI:
    """The ASGI application; ``model`` is a model file or the name of a bundled model
    (default: the bundled ``vlsp2013``), and
    ``user_dict`` / ``never_join`` / ``known_words`` are user dictionary files (see
    :class:`tieng.UserDictionary`).  ``in_flight``, ``queue_wait`` and ``body_timeout``
    bound the work and memory a worker takes on (see :data:`DEFAULT_IN_FLIGHT` and the
    others); ``tieng serve`` passes its options through the environment.  ``own_process``
    (``tieng serve`` sets it) says the app owns its process, so it may tune it: the model is
    warmed up and every object made so far is moved out of the garbage collector's way
    (``gc.freeze``).  A request with words makes tens of thousands of short-lived objects,
    and each collection they trigger would otherwise walk the whole heap of the app and the
    model: that was a third of the CPU of a 1,000-sentence batch.
    """
    model = model if model is not None else os.environ.get("TIENG_MODEL") or None
    if max_body is None:
        max_body = int(os.environ.get("TIENG_MAX_BODY", DEFAULT_MAX_BODY))
    if in_flight is None:
        in_flight = int(os.environ.get("TIENG_IN_FLIGHT", DEFAULT_IN_FLIGHT))
    if queue_wait is None:
        queue_wait = float(os.environ.get("TIENG_QUEUE_WAIT", DEFAULT_QUEUE_WAIT))
    if body_timeout is None:
        body_timeout = float(os.environ.get("TIENG_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT))
    user_dict = user_dict or os.environ.get("TIENG_USER_DICT") or None
    never_join = never_join or os.environ.get("TIENG_NEVER_JOIN") or None
    known_words = known_words or os.environ.get("TIENG_KNOWN_WORDS") or None
    dictionary = (
        UserDictionary.read(user_dict, never_join, known_words)
        if user_dict or never_join or known_words
        else None
    )
    segmenter = Segmenter(model, dictionary=dictionary)  # once per worker; thread-safe
    if own_process is None:
        own_process = os.environ.get("TIENG_OWN_PROCESS") == "1"
    # The other bundled models, loaded on first request, when the service runs a bundled one.
    bundled = model is None or model in BUNDLED_MODELS
    # A model named in the request reads every text: no routing (the default's model
    # object is shared, not loaded again).
    others: dict[str, Segmenter] = (
        {model: segmenter}
        if model is not None
        else {"vlsp2013": Segmenter(segmenter.model, dictionary=dictionary)}
    )
    others_lock = threading.Lock()

    def _segmenter_for(req: SegmentRequest) -> Segmenter:
        seg = segmenter
        if req.model is not None and req.model not in others:
            if not bundled or req.model not in BUNDLED_MODELS:
                names = ", ".join(others if not bundled else BUNDLED_MODELS)
                raise _BadRequest(f"model {req.model!r} is not served here (models: {names})")
            with others_lock:
                if req.model not in others:
                    others[req.model] = Segmenter(req.model, dictionary=dictionary)
        if req.model is not None:
            seg = others[req.model]
        if req.words:
            try:
                extra = UserDictionary(
                    req.words, ignore_diacritics=seg.model.spec.key_version >= UNACCENTED
                )
            except DictionaryError as e:
                raise _BadRequest(f"words: {e}") from None
            if seg.dictionary is not None:
                d = seg.dictionary
                extra = UserDictionary(
                    (*d.words, *extra.words),
                    d.never_join,
                    d.known,
                    ignore_diacritics=d.ignore_diacritics or extra.ignore_diacritics,
                )
            seg = seg.with_dictionary(extra)
        return seg

    busy = threading.BoundedSemaphore(_CONCURRENT)

    def _bounded(work, req):
        with busy:
            return work(req)

    # /docs (Swagger UI) and /redoc from the files of the fastapi-offline package, not a
    # CDN: they work on a machine with no internet.
    app = FastAPIOffline(
        title="tieng",
        version=__version__,
        description="Vietnamese word segmentation in the VLSP 2013 convention.",
        responses={400: {"model": Error}, 413: {"model": Error}, 422: {"model": Error}},
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        details = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
            for e in errors
        ]
        # The body as a whole is wrong (not JSON, not an object): one message, an example.
        whole = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
        if any(e.get("type") == "json_invalid" for e in whole):
            message = "the body is not valid JSON"
        elif any(e.get("type") in ("model_attributes_type", "dict_type") for e in whole):
            message = "the body must be a JSON object"
        else:
            first = details[0] if details else {"where": "", "problem": "invalid request"}
            return JSONResponse(
                {"error": f"{first['where']}: {first['problem']}", "detail": details},
                status_code=422,
            )
        example = '{"text": "Hà Nội có nhiều hồ"} or {"texts": ["Trời mưa.", "Học sinh nghỉ."]}'
        return JSONResponse(
            {"error": f"{message}, such as {example}", "detail": details}, status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.get("/healthz", response_model=Health, tags=["service"])
    async def healthz() -> dict[str, Any]:
        """Liveness and the model in use."""
        meta = segmenter.model.metadata
        return {
            "status": "ok",
            "version": __version__,
            "model": {"created": meta.get("created"), "training": meta.get("training")},
        }

    def _hints(texts: list[str], out: list[dict[str, Any]], seg: Segmenter) -> None:
        if seg.routing:  # the default: text without diacritics went to its model
            for text, result in zip(texts, out):
                result["model"] = "vlsp2013-unaccented" if reads_unaccented(text) else "vlsp2013"
            return
        if seg.model.spec.key_version >= UNACCENTED:
            return
        for text, result in zip(texts, out):
            if looks_unaccented(text):
                result["hint"] = (
                    "This text looks typed without diacritics, which this model needs; the "
                    "model vlsp2013-unaccented reads it"
                    + (
                        ' ("model": "vlsp2013-unaccented" in the request).'
                        if bundled
                        else " (tieng serve --model vlsp2013-unaccented)."
                    )
                )

    def _segment(req: SegmentRequest, tags: bool = False) -> Response:
        segmenter = _segmenter_for(req)
        texts = req.all_texts()
        out: list[dict[str, Any]] = []

        def spans(words) -> list[dict[str, Any]]:
            return _words(words, req.confidence, tags)

        if isinstance(req, TagRequest) and req.segmented:
            for doc in tag_segmented(texts, segmenter.tagger):
                if req.text_only:
                    out.append({"text": doc.tagged})
                else:
                    out.append({"text": doc.text, "tagged": doc.tagged, "words": spans(doc.words)})
        elif req.text_only:
            lines = segmenter.pipe_text(texts, sentence_lines=req.sentences, tags=tags)
            out = [{"text": line} for line in lines]
        else:
            docs = segmenter.pipe(
                texts, sentences=req.sentences, confidence=req.confidence, tags=tags
            )
            for doc in docs:
                result: dict[str, Any] = {"text": doc.text, "words": spans(doc.words)}
                if doc.tagged is not None:
                    result["tagged"] = doc.tagged
                if doc.sentences is not None:
                    result["sentences"] = [spans(s) for s in doc.sentences]
                out.append(result)
        if not (isinstance(req, TagRequest) and req.segmented):
            _hints(texts, out, segmenter)
        # Built to the schema here and encoded by orjson: FastAPI's validation and encoding
        # of a large batch would take longer than segmenting it.
        return Response(orjson.dumps({"results": out}), media_type="application/json")

    @app.post(
        "/v1/segment",
        response_model=SegmentResponse,
        response_model_exclude_unset=True,
        tags=["v1"],
    )
    async def segment(req: SegmentRequest) -> Response:
        """Words of each text, with offsets into it, and the underscore format."""
        try:
            return await run_in_threadpool(_bounded, _segment, req)
        except _BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=422)

    def _tag(req: TagRequest) -> Response:
        return _segment(req, tags=True)

    @app.post(
        "/v1/tag",
        response_model=SegmentResponse,
        response_model_exclude_unset=True,
        tags=["v1"],
    )
    async def tag(req: TagRequest) -> Response:
        """Words of each text with their part of speech (VLSP 2013 tags), offsets into the
        text, the underscore format and the tagged format (word/TAG)."""
        try:
            return await run_in_threadpool(_bounded, _tag, req)
        except _BadRequest as e:
            return JSONResponse({"error": str(e)}, status_code=422)

    def _tokenize(req: TokenizeRequest) -> dict[str, Any]:
        return {"results": [{"tokens": _spans(tokenize(t))} for t in req.all_texts()]}

    @app.post("/v1/tokenize", response_model=TokenizeResponse, tags=["v1"])
    async def tokenize_texts(req: TokenizeRequest) -> dict[str, Any]:
        """Tokens of each text (syllables, numbers, punctuation...), with offsets."""
        return await run_in_threadpool(_bounded, _tokenize, req)

    page = resources.files("tieng").joinpath("web").joinpath("index.html").read_text("utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return page

    app.add_middleware(
        _Admission,
        limit=max_body,
        in_flight=in_flight,
        queue_wait=queue_wait,
        body_timeout=body_timeout,
    )
    if own_process:
        segmenter("Hà Nội", sentences=True, confidence=True, tags=True)  # tables built now
        gc.freeze()
    return app


# ------------------------------------------------------------------ connections (tieng serve)
def guarded_protocol(header_timeout: float = DEFAULT_HEADER_TIMEOUT) -> type:
    """uvicorn's HTTP protocol (httptools, else h11) with two guards that the ASGI app cannot
    give itself, as ``tieng serve`` runs it:

    * a connection must send the head of a request (method, path, headers) within
      ``header_timeout`` seconds of opening, and of each answer on a kept-alive connection,
      else it is closed: connections that send nothing, or a byte now and then, are not kept;
    * ``GET /healthz`` is answered even when the connection limit is reached, so that a
      health check tells a busy service from a dead one.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # pragma: no cover - without httptools
        from uvicorn.protocols.http.h11_impl import H11Protocol as base  # type: ignore[assignment]

    class GuardedProtocol(base):
        _timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._timer = self.loop.call_later(header_timeout, self._expire)

        def _disarm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _expire(self) -> None:
            self._timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport):
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc):
            self._disarm()
            super().connection_lost(exc)

        def on_headers_complete(self) -> None:
            self._disarm()
            limit = self.limit_concurrency
            if self.url.split(b"?")[0] == b"/healthz":
                self.limit_concurrency = None  # always answered
            try:
                super().on_headers_complete()
            finally:
                self.limit_concurrency = limit

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request's head must come in time too

    if not hasattr(base, "on_headers_complete"):  # pragma: no cover - h11: no such hook
        return base
    return GuardedProtocol
