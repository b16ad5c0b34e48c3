"""What keeps a worker of the service bounded: at most so many requests in flight, bodies
of bounded size arriving in time, connections that send a request's head in time, and memory
given back after a burst."""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 1 << 20  # bytes
DEFAULT_IN_FLIGHT = 4  # requests being read, segmented or answered at once, per worker
DEFAULT_QUEUE_WAIT = 10.0  # seconds a request may wait for a turn before a 503
DEFAULT_BODY_TIMEOUT = 10.0  # seconds for each part of a request body to arrive
BODY_DEADLINE_FACTOR = 3  # ... and for the whole body, this many times that
DEFAULT_HEADER_TIMEOUT = 10.0  # seconds from a connection (or an answer) to a request's head


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
                # Costly: only after a large request, when idle, and a moment later, once
                # the answer has left the socket's buffers.
                asyncio.get_running_loop().call_later(_SETTLE, self._settle)

    def _settle(self) -> None:
        if self._busy == 0:
            _give_back_memory()

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
    gc.collect()  # (what a large request left in reference cycles; the model is frozen)
    if _libc:
        _libc.malloc_trim(0)


_libc: Any = None
_LARGE_BODY = 256 << 10  # bytes: a request this large may leave tens of MB to give back
_SETTLE = 0.2  # seconds after a large request before memory is given back


async def _nothing() -> Message:  # pragma: no cover - never called for a plain response
    return {"type": "http.disconnect"}


# ------------------------------------------------------------------ connections (tieng serve)
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Base
except ImportError:  # pragma: no cover - without httptools
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Base  # type: ignore[assignment]

GUARDED_PROTOCOL = "tieng.server.admission:GuardedProtocol"  # what tieng serve gives uvicorn


class GuardedProtocol(_Base):
    """uvicorn's HTTP protocol (httptools, else h11) with two guards that the ASGI app cannot
    give itself, as ``tieng serve`` runs it:

    * a connection must send the head of a request (method, path, headers) within
      ``TIENG_HEADER_TIMEOUT`` seconds (default :data:`DEFAULT_HEADER_TIMEOUT`) of opening,
      and of each answer on a kept-alive connection, else it is closed: connections that send
      nothing, or a byte now and then, are not kept;
    * ``GET /healthz`` is answered even when the connection limit is reached, so that a
      health check tells a busy service from a dead one.

    A class of this module, named by :data:`GUARDED_PROTOCOL`, so that uvicorn can hand it to
    its worker processes (it pickles its settings for them).
    """

    _timer: asyncio.TimerHandle | None = None
    header_timeout = DEFAULT_HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _header_timeout()

    def _arm(self) -> None:
        self._disarm()
        self._timer = self.loop.call_later(self.header_timeout, self._expire)

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


def _header_timeout() -> float:
    try:
        value = float(os.environ.get("TIENG_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT))
    except ValueError:
        return DEFAULT_HEADER_TIMEOUT
    return value if value > 0 else DEFAULT_HEADER_TIMEOUT
