"""The routes of the service: the JSON API (``/v1/...``), the health check and the page, over
one :class:`Service` that holds a worker's segmenters."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..dictionary import DictionaryError, UserDictionary
from ..formats import word_objects
from ..normalization import UNACCENTED, looks_unaccented
from ..parsing import parse_segmented_docs
from ..segmentation import BUNDLED_MODELS, Segmenter, routed_model
from ..tagging import tag_segmented
from ..tokenization import tokenize
from .schema import (
    Health,
    ParseRequest,
    RestoreRequest,
    RestoreResponse,
    SegmentRequest,
    SegmentResponse,
    TagRequest,
    TokenizeRequest,
    TokenizeResponse,
    _BadRequest,
)

__all__ = ["Service", "add_routes"]

R = TypeVar("R")
# Requests segmented at once by one worker.  The work is CPU-bound and holds the GIL, so more
# threads add no speed, only memory (each running request holds its arrays and its results).
_CONCURRENT = 2


class Service:
    """What one worker serves with: its segmenter (the default one routes text typed
    without diacritics to the model made for it), the other bundled models when it runs a
    bundled one (loaded on first request), the user dictionary, and a bound on the requests
    segmented at once."""

    def __init__(
        self, segmenter: Segmenter, model: str | None, dictionary: UserDictionary | None
    ) -> None:
        self.segmenter = segmenter
        self.dictionary = dictionary
        self.bundled = model is None or model in BUNDLED_MODELS
        # A model named in the request reads every text: no routing (the default's model
        # object is shared, not loaded again).
        self.others: dict[str, Segmenter] = (
            {model: segmenter}
            if model is not None
            else {"vlsp2013": Segmenter(segmenter.model, dictionary=dictionary)}
        )
        self._others_lock = threading.Lock()
        self._busy = threading.BoundedSemaphore(_CONCURRENT)

    def segmenter_for(self, req: SegmentRequest) -> Segmenter:
        """The segmenter a request asks for: its model, and its words to join."""
        seg = self.segmenter
        others = self.others
        if req.model is not None and req.model not in others:
            if not self.bundled or req.model not in BUNDLED_MODELS:
                names = ", ".join(others if not self.bundled else BUNDLED_MODELS)
                raise _BadRequest(f"model {req.model!r} is not served here (models: {names})")
            with self._others_lock:
                if req.model not in others:
                    others[req.model] = Segmenter(req.model, dictionary=self.dictionary)
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

    def bounded(self, work: Callable[[Any], R], req: Any) -> R:
        with self._busy:
            return work(req)

    def hints(
        self,
        texts: list[str],
        out: list[dict[str, Any]],
        seg: Segmenter,
        models: list[str | None] | None = None,
    ) -> None:
        """Which model read each text (routing: ``models``, what the results said, or asked
        again of the texts for the underscore text alone), or a hint where the model asked
        for does not fit the text."""
        if seg.routing:  # the default: text without diacritics went to its model
            if models is None:
                models = [routed_model(t) for t in texts]
            for name, result in zip(models, out):
                result["model"] = name
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
                        if self.bundled
                        else " (tieng serve --model vlsp2013-unaccented)."
                    )
                )

    def segment(self, req: SegmentRequest, tags: bool = False, parse: bool = False) -> Response:
        segmenter = self.segmenter_for(req)
        asked = req.all_texts()
        texts = [t for t in asked if t is not None]  # (a null is answered with null)
        out: list[dict[str, Any]] = []
        models: list[str | None] | None = None  # which model read each text, when known

        def spans(words) -> Any:  # (a list of objects, or JSON bytes of one)
            return word_objects(words, req.confidence, tags, parse)

        if isinstance(req, TagRequest) and req.segmented:
            done = tag_segmented(texts, segmenter.tagger)
            if parse:
                done = parse_segmented_docs(done, segmenter.parser)
            for doc in done:
                if req.text_only:
                    out.append({"text": doc.tagged})
                else:
                    given: dict[str, Any] = {
                        "text": doc.text,
                        "tagged": doc.tagged,
                        "words": spans(doc.words),
                    }
                    if parse:
                        given["sentences"] = [spans(doc.words)]
                    out.append(given)
        elif req.text_only and not parse:
            lines = segmenter.pipe_text(texts, sentence_lines=req.sentences, tags=tags)
            out = [{"text": line} for line in lines]
        else:
            docs = segmenter.pipe(
                texts,
                sentences=req.sentences,
                confidence=req.confidence,
                tags=tags,
                restore=req.restore,
                parse=parse,
            )
            models = []
            for doc in docs:
                models.append(doc.model)
                result: dict[str, Any] = {"text": doc.text, "words": spans(doc.words)}
                if doc.tagged is not None:
                    result["tagged"] = doc.tagged
                if doc.restored is not None:
                    result["restored"] = doc.restored
                if doc.sentences is not None:
                    result["sentences"] = [spans(s) for s in doc.sentences]
                out.append(result)
        if not (isinstance(req, TagRequest) and req.segmented):
            self.hints(texts, out, segmenter, models)
        # Built to the schema here and encoded by orjson: FastAPI's validation and encoding
        # of a large batch would take longer than segmenting it.
        return _results(out, asked)

    def tag(self, req: TagRequest) -> Response:
        return self.segment(req, tags=True)

    def parse(self, req: ParseRequest) -> Response:
        return self.segment(req, tags=True, parse=True)

    def restore(self, req: RestoreRequest) -> Response:
        asked = req.all_texts()
        texts = [t for t in asked if t is not None]
        restorer = self.segmenter.restorer
        out: list[dict[str, Any]]
        if not req.confidence:
            out = [{"text": t} for t in restorer.restore_many(texts)]
        else:
            out = []
            for text in texts:
                syllables = restorer.syllables(text, confidence=True)
                restored = list(text)
                for syl in syllables:
                    restored[syl.start : syl.end] = syl.text
                out.append({
                    "text": "".join(restored),
                    "syllables": [
                        {"text": x.text, "original": x.original, "start": x.start,
                         "end": x.end, "confidence": round(x.confidence or 0.0, 4)}
                        for x in syllables
                    ],
                })  # fmt: skip
        return _results(out, asked)

    def tokenize(self, req: TokenizeRequest) -> Response:
        asked = req.all_texts()
        out = [{"tokens": word_objects(tokenize(t))} for t in asked if t is not None]
        return _results(out, asked)


def _results(out: list[dict[str, Any]], asked: list[str | None]) -> Response:
    """The answer: one result a text asked for, in order, null for a null text."""
    if len(out) != len(asked):
        found = iter(out)
        out = [None if t is None else next(found) for t in asked]  # type: ignore[misc]
    return Response(orjson.dumps({"results": out}), media_type="application/json")


def add_routes(app: FastAPI, service: Service) -> None:
    """The error handlers, the health check, the API and the page, on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        details = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg")}
            for e in errors
        ]
        # The body as a whole is wrong (not JSON, not an object): one message, an example.
        whole = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
        example = '{"text": "Hà Nội có nhiều hồ"} or {"texts": ["Trời mưa.", "Học sinh nghỉ."]}'
        if any(e.get("type") == "json_invalid" for e in whole):
            message = "the body is not valid JSON"
        elif any(e.get("type") in ("model_attributes_type", "dict_type") for e in whole):
            message = "the body must be a JSON object"
        elif any(e.get("type") == "missing" and tuple(e["loc"]) == ("body",) for e in whole):
            message = "the body is empty; send a JSON object"
        else:
            first = details[0] if details else {"where": "", "problem": "invalid request"}
            error = f"{first['where']}: {first['problem']}"
            if any(e.get("type") == "extra_forbidden" for e in whole):  # a misspelt field
                error += f"; the body is an object such as {example}"
            return JSONResponse({"error": error, "detail": details}, status_code=422)
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
        """Liveness, the model in use, and which worker process answered."""
        meta = service.segmenter.model.metadata
        return {
            "status": "ok",
            "version": __version__,
            "model": {"created": meta.get("created"), "training": meta.get("training")},
            "worker": os.getpid(),
        }

    def words_endpoint(path: str, request: type, work: Callable[[Any], Response], doc: str):
        """One route of the words API (``/v1/segment``, ``/v1/tag``): the same handler, its
        own request type and work."""

        async def handler(req: Any) -> Response:
            try:
                return await run_in_threadpool(service.bounded, work, req)
            except _BadRequest as e:
                return JSONResponse({"error": str(e)}, status_code=422)

        handler.__annotations__ = {"req": request, "return": Response}  # the body FastAPI reads
        handler.__name__ = path.rsplit("/", 1)[-1]
        handler.__doc__ = doc
        app.post(path, response_model=SegmentResponse, response_model_exclude_unset=True,
                 tags=["v1"])(handler)  # fmt: skip

    words_endpoint(
        "/v1/segment",
        SegmentRequest,
        service.segment,
        "Words of each text, with offsets into it, and the underscore format.",
    )
    words_endpoint(
        "/v1/tag",
        TagRequest,
        service.tag,
        "Words of each text with their part of speech (VLSP 2013 tags), offsets into the "
        "text, the underscore format and the tagged format (word/TAG).",
    )

    words_endpoint(
        "/v1/parse",
        ParseRequest,
        service.parse,
        "Words of each text with their part of speech, and each word's head (its position in "
        "its sentence, 0: the root) and relation (Universal Dependencies), sentence by "
        "sentence. The parser is under CC BY-SA 4.0 (trained on UD Vietnamese-VTB).",
    )

    @app.post("/v1/restore", response_model=RestoreResponse, tags=["v1"])
    async def restore_texts(req: RestoreRequest) -> Response:
        """Each text with the diacritics it was typed without restored (the same length, only
        letters changed), and with `confidence` each syllable the model read."""
        return await run_in_threadpool(service.bounded, service.restore, req)

    @app.post("/v1/tokenize", response_model=TokenizeResponse, tags=["v1"])
    async def tokenize_texts(req: TokenizeRequest) -> Response:
        """Tokens of each text (syllables, numbers, punctuation...), with offsets."""
        return await run_in_threadpool(service.bounded, service.tokenize, req)

    page = resources.files("tieng").joinpath("web").joinpath("index.html").read_text("utf-8")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return page

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> Response:
        """No icon, said plainly (browsers ask for one; a 404 shows as an error in their log)."""
        return Response(status_code=204)
