"""The HTTP service: a versioned JSON API and a page to try it (in the clone:
``pip install '.[server]'``).

Start it with ``tieng serve``.  The application is built by :func:`create_app`; settings come
from its arguments or, for ``--workers`` (each worker imports the app afresh), from the
environment variables ``TIENG_MODEL``, ``TIENG_MAX_BODY``, ``TIENG_USER_DICT`` and
``TIENG_NEVER_JOIN``.
"""

from __future__ import annotations

import gc
import os

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from .. import __version__
from ..dictionary import UserDictionary
from ..segmentation import Segmenter
from .admission import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_IN_FLIGHT,
    DEFAULT_MAX_BODY,
    DEFAULT_QUEUE_WAIT,
    GUARDED_PROTOCOL,
    GuardedProtocol,
    _Admission,
)
from .routes import _CONCURRENT, Service, add_routes
from .schema import Error

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_IN_FLIGHT",
    "DEFAULT_MAX_BODY",
    "DEFAULT_QUEUE_WAIT",
    "GUARDED_PROTOCOL",
    "_CONCURRENT",
    "GuardedProtocol",
    "create_app",
]


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
    warmed up, every object made so far is moved out of the garbage collector's way
    (``gc.freeze``), and young collections run less often (:data:`GC_THRESHOLD`).  A request
    with words makes tens of thousands of short-lived objects, and each collection they
    trigger would otherwise walk the whole heap of the app and the model: that was a third
    of the CPU of a 1,000-sentence batch.
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
    # /docs (Swagger UI) and /redoc from the files of the fastapi-offline package, not a
    # CDN: they work on a machine with no internet.
    app = FastAPIOffline(
        title="tieng",
        version=__version__,
        description="Vietnamese word segmentation in the VLSP 2013 convention.",
        responses={400: {"model": Error}, 413: {"model": Error}, 422: {"model": Error}},
    )
    add_routes(app, Service(segmenter, model, dictionary))
    app.add_middleware(
        _Admission,
        limit=max_body,
        in_flight=in_flight,
        queue_wait=queue_wait,
        body_timeout=body_timeout,
    )
    if own_process is None:
        own_process = os.environ.get("TIENG_OWN_PROCESS") == "1"
    if own_process:
        _few_arenas()
        segmenter("Hà Nội", sentences=True, confidence=True, tags=True)  # tables built now
        gc.freeze()
        # A batch's answer is tens of thousands of words, each a tuple and a dict: with the
        # default threshold (700) a collection runs every few hundred of them, for nothing
        # (they form no cycles). 15% of a 1,000-sentence batch with words.
        gc.set_threshold(GC_THRESHOLD, 10, 10)
    return app


GC_THRESHOLD = 100_000  # objects made between two young collections, in tieng serve's workers


def _few_arenas() -> None:
    """Let glibc's malloc keep two arenas, not one per thread of the pool: the memory of
    concurrent large requests then goes back to the system after them (four 1 MiB requests
    at once left 100 MB more behind with the default)."""
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX (glibc only)
    except (OSError, AttributeError):
        pass
