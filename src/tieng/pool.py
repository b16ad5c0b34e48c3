"""An ordered, bounded process pool: results come back in input order, memory stays flat.

``multiprocessing.Pool.imap`` reads its whole input ahead of the workers, so on a 20 GB
corpus it holds the corpus in memory.  :func:`ordered_map` keeps at most ``window`` tasks in
flight and yields results in the order of the tasks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import Any, TypeVar

__all__ = ["available_cores", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")

_state: dict[str, Any] = {}


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, so ``taskset`` and containers count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _init(setup: Callable[..., Any] | None, args: tuple) -> None:
    # Ctrl-C goes to the parent, which stops the pool; workers must not die half-way alone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _state["context"] = setup(*args) if setup is not None else None


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_state["context"], task)


def ordered_map(
    fn: Callable[[Any, T], R],
    tasks: Iterable[T],
    *,
    jobs: int,
    setup: Callable[..., Any] | None = None,
    setup_args: tuple = (),
    window: int | None = None,
) -> Iterator[R]:
    """``fn(context, task)`` for every task, in order, on ``jobs`` worker processes.

    ``context`` is what ``setup(*setup_args)`` returned in the worker (a segmenter, say),
    computed once per worker.  With ``jobs <= 1`` everything runs in this process.  At most
    ``window`` tasks (default ``2 * jobs + 2``) are read ahead of the results handed out.
    ``fn`` and ``setup`` must be importable module-level functions.  With fewer than two
    tasks everything runs in this process too: starting workers would cost more.

    >>> list(ordered_map(pow, [1, 2, 3], jobs=1, setup=int, setup_args=(2,)))
    [2, 4, 8]
    """
    it = iter(tasks)
    head = list(islice(it, 2))
    if jobs <= 1 or len(head) < 2:  # one task or none is not worth starting workers for
        context = setup(*setup_args) if setup is not None else None
        for task in chain(head, it):
            yield fn(context, task)
        return
    tasks = chain(head, it)
    window = window or 2 * jobs + 2
    pool = mp.get_context().Pool(jobs, initializer=_init, initargs=(setup, setup_args))
    pending: deque = deque()
    try:
        for task in tasks:
            pending.append(pool.apply_async(_call, (fn, task)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
        pool.close()
    finally:
        pool.terminate()
        pool.join()
