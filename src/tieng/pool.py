"""An ordered, bounded process pool: results come back in input order, memory stays flat.

``multiprocessing.Pool.imap`` reads its whole input ahead of the workers, so on a 20 GB
corpus it holds the corpus in memory.  :func:`ordered_map` keeps at most ``window`` tasks in
flight and yields results in the order of the tasks.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from queue import Empty, Full, Queue
from typing import Any, TypeVar

__all__ = ["WorkerDied", "available_cores", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")

_state: dict[str, Any] = {}
_POLL = 0.5  # seconds between looks at the workers while a result is awaited


class WorkerDied(RuntimeError):
    """A worker process ended in the middle of a run (killed, perhaps by the out-of-memory
    killer, or crashed): its task is lost, so the run stops instead of waiting for ever."""


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, so ``taskset`` and containers count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _init(setup: Callable[..., Any] | None, args: tuple, parent: int | None = None) -> None:
    # Ctrl-C goes to the parent, which stops the pool; workers must not die half-way alone.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        _end_with(parent)
    _state["context"] = setup(*args) if setup is not None else None


def _end_with(parent: int) -> None:
    """Have the kernel end this worker when ``parent`` dies (Linux), so that a run killed
    with SIGKILL leaves no workers behind, busy for nothing or printing broken-pipe
    tracebacks when they hand in their results."""
    if os.getppid() != parent:
        # Made by a fork server (the forkserver start method, Python 3.14's default on
        # Linux), not by the main process: the server ends with the main process, and the
        # worker then finds its pipe broken.  Tying it to its parent's death would tie it to
        # the server's, and the check below would end every worker at once, for ever.
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0) != 0:
            return
    except (OSError, AttributeError):  # not Linux: the workers notice a broken pipe later
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


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
    streaming: bool = False,
) -> Iterator[R]:
    """``fn(context, task)`` for every task, in order, on ``jobs`` worker processes.

    ``context`` is what ``setup(*setup_args)`` returned in the worker (a segmenter, say),
    computed once per worker.  With ``jobs <= 1`` everything runs in this process.  At most
    ``window`` tasks (default ``2 * jobs + 2``) are read ahead of the results handed out.
    ``fn`` and ``setup`` must be importable module-level functions.  With fewer than two
    tasks everything runs in this process too: starting workers would cost more.

    ``streaming`` is for tasks that may be slow to come (read from a pipe that trickles):
    they are then read on a thread of their own, so each result is handed out as soon as it
    and every one before it are done, while the next task is still awaited; and workers
    start at once rather than after waiting for a second task.  ``tasks`` must then be safe
    to advance from another thread (by default it is only ever advanced by the caller's).

    >>> list(ordered_map(pow, [1, 2, 3], jobs=1, setup=int, setup_args=(2,)))
    [2, 4, 8]
    """
    it = iter(tasks)
    head = [] if jobs <= 1 or streaming else list(islice(it, 2))
    if jobs <= 1 or (not streaming and len(head) < 2):
        context = setup(*setup_args) if setup is not None else None
        for task in chain(head, it):
            yield fn(context, task)
        return
    import multiprocessing as mp  # here, not at import: a program that never forks never pays

    window = window or 2 * jobs + 2
    pool = _pool_class()(
        jobs,
        initializer=_init,
        initargs=(setup, setup_args, os.getpid()),
        context=mp.get_context(),
    )
    pool.tieng_workers = {proc.pid: proc for proc in pool._pool}  # (see _awaited)
    try:
        results = (
            _fed(pool, fn, it, window) if streaming else _submitted(pool, fn, head, it, window)
        )
        yield from results
        pool.close()
    finally:
        _end(pool)


def _end(pool) -> None:
    """End the pool: the usual way when its workers are alive; when one has died (a run that
    failed with WorkerDied, or one killed after its last task), without waiting on what the
    dead worker left half done (see ``abandon``)."""
    workers = [*pool.tieng_workers.values(), *pool._pool]
    if any(proc.exitcode is not None for proc in workers):
        pool.abandon()
        return
    pool.terminate()
    pool.join()


_POOL: list[type] = []


def _pool_class() -> type:
    """``multiprocessing.Pool`` whose worker-maintenance thread wakes only when a worker exits
    or the pool changes state.  CPython's (3.8 and later) also wakes whenever a result is
    waiting in the result pipe, and spins until the result thread has read it: over a corpus
    run that cost the main process about 0.8 s of CPU per 470 MB, CPU the workers need.
    ``multiprocessing.pool.ThreadPool`` makes the same choice.  Made on first use, so that
    ``import tieng`` does not import :mod:`multiprocessing`."""
    if not _POOL:
        import multiprocessing.pool

        class _Pool(multiprocessing.pool.Pool):
            def _get_sentinels(self):
                return [self._change_notifier._reader]  # type: ignore[attr-defined]

            def _end_quietly(self) -> None:
                try:
                    self.terminate()
                except Exception:  # (a pool left half done may not end cleanly: it is dropped)
                    pass

            def abandon(self) -> None:
                """After a worker died: end every worker now, then the pool, without waiting
                for ever on what the dead worker left.  Killed while it held a lock of the
                pool's queues (an idle worker holds the task queue's while it waits), it holds
                it for ever: with every worker gone, the queues get fresh locks.  Killed in the
                middle of sending a result, it leaves half a message that the result thread
                waits on for ever: terminate() (which joins that thread) runs on a daemon
                thread, waited for 2 seconds at most."""
                workers = list(self._pool)  # type: ignore[attr-defined]
                for proc in workers:
                    proc.kill()
                for proc in workers:
                    proc.join(5)
                ctx = self._ctx  # type: ignore[attr-defined]
                self._inqueue._rlock = ctx.Lock()  # type: ignore[attr-defined]
                if getattr(self._outqueue, "_wlock", None) is not None:  # type: ignore[attr-defined]
                    self._outqueue._wlock = ctx.Lock()  # type: ignore[attr-defined]
                ending = threading.Thread(
                    target=self._end_quietly, name="tieng-pool-end", daemon=True
                )
                ending.start()
                ending.join(2)

        _POOL.append(_Pool)
    return _POOL[0]


def _awaited(pool, result) -> Any:
    """``result.get()``, looking at the workers every :data:`_POLL` seconds meanwhile: a
    worker that has ended (the pool's workers never end on their own during a run) means a
    task that will never come back, and :class:`WorkerDied` is raised."""
    from multiprocessing import TimeoutError as NotYet

    while True:
        try:
            return result.get(timeout=_POLL)
        except NotYet:
            pass
        workers = pool.__dict__.setdefault("tieng_workers", {})
        for proc in list(pool._pool):  # (the pool replaces a dead worker: keep them all)
            workers.setdefault(proc.pid, proc)
        for proc in workers.values():
            code = proc.exitcode
            if code is not None:
                how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
                if code == -9:
                    how += ": perhaps the out-of-memory killer"
                raise WorkerDied(f"a worker process ended in the middle of the run ({how})")


def _submitted(pool, fn, head: list, it: Iterator, window: int) -> Iterator[Any]:
    """Results in order, the tasks read on this thread between results."""
    pending: deque = deque()
    for task in chain(head, it):
        pending.append(pool.apply_async(_call, (fn, task)))
        if len(pending) >= window:
            yield _awaited(pool, pending.popleft())
    while pending:
        yield _awaited(pool, pending.popleft())


def _fed(pool, fn, it: Iterator, window: int) -> Iterator[Any]:
    """Results in order, the tasks read on a feeder thread that queues their pending
    results; the queue's bound is the window.  It ends the queue with _END, or with the
    exception it met."""
    queue: Queue = Queue(maxsize=window)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                pass
        return False

    def feed() -> None:
        try:
            for task in it:
                if not put(pool.apply_async(_call, (fn, task))):
                    return
            put(_END)
        except BaseException as e:  # handed to the consumer, which raises it
            put(_Raise(e))

    feeder = threading.Thread(target=feed, name="tieng-ordered-map", daemon=True)
    feeder.start()
    try:
        while (item := _next(queue)) is not _END:
            if isinstance(item, _Raise):
                raise item.error
            yield _awaited(pool, item)
    finally:
        stop.set()
        # Wait for the feeder unless it is blocked reading its input: it is a daemon thread
        # and the caller is done with that input.
        feeder.join(timeout=0.2)


_END = object()


def _next(queue: Queue) -> Any:
    """The queue's next item, waited for in slices of :data:`_POLL` seconds: a Ctrl-C that
    the kernel hands to another thread (the feeder, blocked reading standard input) only
    sets a flag, which the main thread reads when it wakes; an untimed wait would never
    wake, and the program would hang instead of stopping."""
    while True:
        try:
            return queue.get(timeout=_POLL)
        except Empty:
            pass


class _Raise:
    """An exception the feeder met while reading tasks, for the consumer to raise."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
