"""The ordered, bounded process pool (tieng.pool): order, bounds, threads, errors, and a
worker that dies."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tieng import pool
from tieng.cli import main


def test_one_task_starts_no_worker_processes(pools_started):
    """A single chunk (a small file, a short stdin) is segmented in this process even with
    --jobs 2: starting workers would cost more than the work; two chunks do start them."""
    started = pools_started
    assert list(pool.ordered_map(pow, [3], jobs=2, setup=int, setup_args=(2,))) == [8]
    assert list(pool.ordered_map(pow, [], jobs=2, setup=int, setup_args=(2,))) == []
    assert not started
    assert list(pool.ordered_map(pow, [1, 2, 3], jobs=2, setup=int, setup_args=(2,))) == [2, 4, 8]
    assert started


def test_a_result_is_handed_out_before_the_next_task_arrives():
    """Tasks are read on a thread of their own: result 1 comes out while task 2 is still
    awaited (input trickling in from a pipe), with workers as without."""
    import threading

    for jobs in (1, 2):
        got = threading.Event()

        def tasks(got=got):
            yield 1
            if not got.wait(60):  # result 1 never came out: fail rather than hang
                raise AssertionError("no result before the next task")
            yield 2

        out = []
        for r in pool.ordered_map(
            pow, tasks(), jobs=jobs, setup=int, setup_args=(2,), streaming=True
        ):
            out.append(r)
            got.set()
        assert out == [2, 4]


def test_tasks_are_read_on_the_callers_thread_unless_streaming():
    """A user's iterator (a sqlite3 cursor, say) may only work on the thread that made it:
    Segmenter.pipe(..., n_process=2) never advances it from another thread."""
    import threading

    for streaming, same in ((False, True), (True, False)):
        threads = []

        def tasks(threads=threads):
            for i in range(5):
                threads.append(threading.get_ident())
                yield i

        got = pool.ordered_map(
            pow, tasks(), jobs=2, setup=int, setup_args=(2,), streaming=streaming
        )
        assert list(got) == [1, 2, 4, 8, 16]
        assert (set(threads) == {threading.get_ident()}) is same


def test_errors_reading_tasks_or_running_them_reach_the_caller():
    def tasks():
        yield 1
        yield 2
        raise ValueError("unreadable input")

    with pytest.raises(ValueError, match="unreadable input"):
        list(pool.ordered_map(pow, tasks(), jobs=2, setup=int, setup_args=(2,)))
    with pytest.raises(TypeError):
        list(pool.ordered_map(pow, [1, "x", 3], jobs=2, setup=int, setup_args=(2,)))


def _die_on_three(_context, task):
    """A task that ends its own worker process, as the OOM killer would (SIGKILL)."""
    if task == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return task


@pytest.mark.parametrize("streaming", [False, True])
def test_a_worker_killed_mid_run_fails_the_run_within_seconds(streaming):
    """multiprocessing.Pool replaces a dead worker but never reruns its task: waiting for
    that result would hang for ever.  The run stops with WorkerDied instead."""
    start = time.monotonic()
    with pytest.raises(pool.WorkerDied, match="killed by signal 9: perhaps the out-of-memory"):
        list(pool.ordered_map(_die_on_three, range(8), jobs=2, streaming=streaming))
    assert time.monotonic() - start < 10


def test_a_segmenter_pipe_whose_worker_dies_raises(monkeypatch):
    import tieng
    from tieng import segmentation

    monkeypatch.setattr(segmentation, "_work", _die_on_three_texts)
    with pytest.raises(pool.WorkerDied):
        list(tieng.Segmenter().pipe([f"câu {i}" for i in range(40)], batch_size=2, n_process=2))


def _die_on_three_texts(seg, task):
    opts, texts = task
    if texts == ["câu 6", "câu 7"]:
        os.kill(os.getpid(), signal.SIGKILL)
    return list(seg._run(texts, len(texts), opts))


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="reads /proc (Linux)")
def test_tieng_segment_with_a_worker_killed_exits_2_and_a_rerun_gives_the_same_output(tmp_path):
    """`tieng segment -j 2` whose worker is killed (kill -9) ends within seconds with exit 2 and
    a message, leaves no output, and the same command again gives what -j 1 gives."""
    src = tmp_path / "in.txt"
    line = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới, ông An nói.\n"
    src.write_text(line * 480_000, encoding="utf-8")  # ~40 MB: a second or two on two cores
    out = tmp_path / "out.txt"
    cmd = [sys.executable, "-m", "tieng", "segment", "-j", "2", "-q", str(src), "-o", str(out)]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    deadline = time.monotonic() + 30
    while not workers and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert workers, "no worker process seen"
    time.sleep(0.1)  # in the middle of its work
    os.kill(workers[0], signal.SIGKILL)
    killed = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - killed < 10
    assert proc.returncode == 2
    assert "worker process ended in the middle of the run (killed by signal 9" in err
    assert "run the same command again" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["segment", "-j", "2", "-q", str(src), "-o", str(out)]) == 0
    again = out.read_bytes()
    assert main(["segment", "-j", "1", "-q", str(src), "-o", str(out)]) == 0
    assert again == out.read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_end_quietly_with_a_killed_run(tmp_path):
    """kill -9 of `tieng segment -j 2`: its workers end with it, printing nothing (they
    used to print broken-pipe tracebacks when handing in their next result)."""
    import signal
    import time

    src = tmp_path / "in.txt"
    line = "Thành phố sẽ đầu tư xây dựng hai tuyến tàu điện ngầm trong năm tới. " * 20
    src.write_text((line + "\n") * 8000, encoding="utf-8")  # about 11 MB: seconds of work
    proc = subprocess.Popen(
        [sys.executable, "-m", "tieng", "segment", str(src), "-j", "2", "-o", str(tmp_path / "o")],
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 30
    while len(workers := _children(proc.pid)) < 2 and time.time() < deadline:
        time.sleep(0.05)
    assert len(workers) >= 2, "the workers did not start"
    time.sleep(0.3)  # let them take some work
    os.kill(proc.pid, signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    deadline = time.time() + 10
    while any(os.path.exists(f"/proc/{w}") for w in workers) and time.time() < deadline:
        time.sleep(0.05)
    alive = [w for w in workers if os.path.exists(f"/proc/{w}")]
    assert not alive, "workers outlived the killed run"
    assert b"Traceback" not in err


def test_ctrl_c_handed_to_the_feeder_thread_still_stops_the_run():
    """A Ctrl-C that the kernel hands to the feeder thread (blocked reading its input) only
    sets a flag: the main thread, waiting for the next result, must wake to see it (it
    hung, once in a while, in `tieng segment --jobs 2` reading a terminal)."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import os, signal, threading, time
        from tieng.pool import ordered_map

        r, w = os.pipe()

        def tasks():
            yield 1
            os.read(r, 1)  # blocks: the input stays open
            yield 2

        def interrupt():
            time.sleep(1.0)
            feeder = next(t for t in threading.enumerate() if t.name == "tieng-ordered-map")
            signal.pthread_kill(feeder.ident, signal.SIGINT)

        threading.Thread(target=interrupt, daemon=True).start()
        try:
            for _ in ordered_map(pow, tasks(), jobs=2, streaming=True, setup=int, setup_args=(2,)):
                pass
        except KeyboardInterrupt:
            os._exit(130)
        os._exit(0)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True)
    assert proc.returncode == 130, proc.stderr.decode()
