"""``tieng serve``: the HTTP service and its web page."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..segmentation import BUNDLED_MODELS
from .common import (
    _MODEL_HELP,
    InputError,
    _segmenter,
    dictionary_args,
)


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from .. import server  # (and checks that fastapi is there)
    except ImportError as e:
        raise InputError(
            f"the server needs its extra: pip install '.[server]' in the clone "
            f"({e.name} is missing)"
        ) from None
    _segmenter(args)  # a bad model or dictionary file fails here, with a clear message
    if args.model:
        bundled = args.model in BUNDLED_MODELS
        os.environ["TIENG_MODEL"] = args.model if bundled else str(Path(args.model).resolve())
    for name, value in (
        ("TIENG_USER_DICT", args.user_dict),
        ("TIENG_NEVER_JOIN", args.never_join),
        ("TIENG_KNOWN_WORDS", args.known_words),
    ):
        if value:
            os.environ[name] = str(Path(value).resolve())
    os.environ["TIENG_MAX_BODY"] = str(args.max_body)
    os.environ["TIENG_IN_FLIGHT"] = str(args.in_flight)
    os.environ["TIENG_QUEUE_WAIT"] = str(args.queue_wait)
    os.environ["TIENG_BODY_TIMEOUT"] = str(args.body_timeout)
    os.environ["TIENG_HEADER_TIMEOUT"] = str(args.header_timeout)
    os.environ["TIENG_PER_CLIENT"] = str(args.per_client)
    os.environ["TIENG_OWN_PROCESS"] = "1"  # each worker may tune its own process
    uvicorn.run(
        "tieng.server:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=not args.no_access_log,
        limit_concurrency=args.max_connections,
        timeout_keep_alive=args.keep_alive,
        http=server.GUARDED_PROTOCOL,  # by name: uvicorn pickles it for its workers
    )
    return 0


def register(sub) -> None:
    """Add this module's commands to ``sub``, the subparsers of ``tieng``."""
    sp = sub.add_parser(
        "serve",
        help="run the HTTP service and its web page",
        description="Run the HTTP service: a JSON API under /v1 (segment, tag, tokenize), "
        "/healthz, the schema at /openapi.json with docs at /docs, and a web page at / to try "
        "it. Bounded: bodies, requests in flight, connections, and the time a client may take.",
    )
    sp.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sp.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    sp.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    sp.add_argument("--no-access-log", action="store_true", help="do not log every request")
    sp.add_argument(
        "--in-flight",
        type=int,
        default=4,
        metavar="N",
        help="requests a worker reads, segments and answers at once; the memory bound (default 4)",
    )
    sp.add_argument(
        "--queue-wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long a request beyond --in-flight waits before a 503 (default 10)",
    )
    sp.add_argument(
        "--body-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="each part of a request body must arrive within this, else 408 (default 10)",
    )
    sp.add_argument(
        "--max-connections",
        type=int,
        default=512,
        metavar="N",
        help="open connections a worker keeps; beyond them, 503 (default 512)",
    )
    sp.add_argument(
        "--keep-alive",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="an idle keep-alive connection is closed after this (default 5)",
    )
    sp.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a connection that has not sent a request's head this long after it opened, or "
        "after its last answer, is closed (default 10); GET /healthz is always answered",
    )
    sp.add_argument(
        "--per-client",
        type=int,
        default=64,
        metavar="N",
        help="connections one client address may hold open at once, per worker (default 64); "
        "one more gets 503 and is closed",
    )
    sp.add_argument("--model", metavar="FILE", help=_MODEL_HELP)
    dictionary_args(sp)
    sp.add_argument(
        "--max-body",
        type=int,
        default=1 << 20,
        metavar="BYTES",
        help="largest request body accepted; larger ones get 413 (default 1 MiB)",
    )
    sp.set_defaults(func=cmd_serve)
