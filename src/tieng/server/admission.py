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
DEFAULT_PER_CLIENT = 64  # connections one client address may hold open at once, per worker


# ------------------------------------------------------------------ body limit
class _Admission:
    """Bounds on what the service holds: at most ``in_flight`` requests segmented and answered
    at once, the others waiting up to ``queue_wait`` seconds for a turn, then 503 with
    Retry-After; a body of at most ``limit`` bytes (413), each part of it arriving within
    ``body_timeout`` seconds and the whole within a few times that (408).  A body is read
    before its request takes a turn, so clients that send theirs slowly hold no turn from the
    others.  When a large request is done and none is in flight, freed memory goes back to
    the system."""

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
        body = await self._body(scope, receive, send)
        if body is None:  # answered already (413, 408), or the client went away
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
        large = len(body) >= _LARGE_BODY
        try:
            await self._admitted(scope, body, receive, send)
        finally:
            self._busy -= 1
            self._turns.release()
            if large and self._busy == 0:
                # Costly: only after a large request, when idle, and a moment later, once
                # the answer has left the socket's buffers.
                asyncio.get_running_loop().call_later(_SETTLE, self._settle)

    def _settle(self) -> None:
        if self._busy == 0:
            _give_back_memory()

    async def _body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The request's body (at most ``limit`` bytes, each part in time), or ``None`` when
        it was answered instead (413, 408) or the client went away."""
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await self._too_large(send)
                    return None
        # Each part must come within ``body_timeout``, and the whole body within a few times
        # that: a byte every few seconds would otherwise hold the connection for ever.
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
                return None
            if message["type"] != "http.request":
                return None  # the client went away
            part = message.get("body", b"")
            seen += len(part)
            if seen > self.limit:
                await self._too_large(send)
                return None
            chunks.append(part)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _admitted(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """The app, given the body read already."""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
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
_OPEN: dict[str, int] = {}  # a worker's open connections, by client address (its one loop)


class GuardedProtocol(_Base):
    """uvicorn's HTTP protocol (httptools, else h11) with two guards that the ASGI app cannot
    give itself, as ``tieng serve`` runs it:

    * a connection must send the head of a request (method, path, headers) within
      ``TIENG_HEADER_TIMEOUT`` seconds (default :data:`DEFAULT_HEADER_TIMEOUT`) of opening,
      and of each answer on a kept-alive connection, else it is closed: connections that send
      nothing, or a byte now and then, are not kept;
    * ``GET /healthz`` is answered even when the connection limit is reached, so that a
      health check tells a busy service from a dead one;
    * one client address holds at most ``TIENG_PER_CLIENT`` connections (default
      :data:`DEFAULT_PER_CLIENT`); one more gets a 503 and is closed, so that a few clients
      that open connections without end cannot take every slot from the others.

    A class of this module, named by :data:`GUARDED_PROTOCOL`, so that uvicorn can hand it to
    its worker processes (it pickles its settings for them).
    """

    _timer: asyncio.TimerHandle | None = None
    _client: str | None = None  # the address this connection counts against

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = _setting("TIENG_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT)
        self.per_client = int(_setting("TIENG_PER_CLIENT", DEFAULT_PER_CLIENT))

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
        peer = transport.get_extra_info("peername")
        client = peer[0] if isinstance(peer, tuple) and peer else None
        if client is not None:
            held = _OPEN.get(client, 0)
            _OPEN[client] = held + 1
            self._client = client
            if held >= self.per_client:
                transport.write(_TOO_MANY)
                transport.close()
                return
        self._arm()

    def connection_lost(self, exc):
        self._disarm()
        client, self._client = self._client, None
        if client is not None:
            left = _OPEN.get(client, 1) - 1
            if left > 0:
                _OPEN[client] = left
            else:
                _OPEN.pop(client, None)
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


_TOO_MANY_BODY = b'{"error":"too many connections from this address; close some and try again"}'
_TOO_MANY = (
    b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
    b"retry-after: 1\r\nconnection: close\r\ncontent-length: %d\r\n\r\n%s"
    % (len(_TOO_MANY_BODY), _TOO_MANY_BODY)
)


def _setting(name: str, default: float) -> float:
    """A positive number from the environment (what ``tieng serve`` passes its workers)."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default
