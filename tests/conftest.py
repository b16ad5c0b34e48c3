import numpy as np
import pytest

from tieng.training.segmenter import train

# A tiny corpus written for the tests: enough to learn a handful of words.
TINY_CORPUS = [
    "Hà_Nội là thủ_đô của Việt_Nam .",
    "Thành_phố Hà_Nội có nhiều hồ đẹp .",
    "Người dân Hà_Nội đi làm bằng xe_máy .",
    "Việt_Nam có nhiều thành_phố lớn .",
    "Thủ_đô của Việt_Nam rất đẹp .",
    "Tôi yêu Hà_Nội và Việt_Nam .",
    "Học_sinh đi học bằng xe_máy .",
    "Người dân thành_phố yêu hồ đẹp .",
]


def reference_join_scores(model, codes, breaks):
    """``model.join_scores`` the slow, plain way: one weight per feature row, summed."""
    from tieng import _pure

    scores = np.full(len(codes), -np.inf, dtype=np.float32)
    gaps, feats = model.gap_features(codes, breaks)
    weights = model.weights if model.codebook is None else model.codebook[model.weights]
    if len(gaps):
        scores[gaps] = weights[feats].sum(axis=1, dtype=np.float32) + model.bias
    if model.syllable_flags is not None:  # the gaps around unglued syllables, decided together
        _pure.tie_gaps(scores, np.maximum(codes, 0) // 16, model.syllable_flags)
    return scores


@pytest.fixture(scope="session")
def reference_scores():
    """The plain sum of a model's weights over each gap's features (a test oracle)."""
    return reference_join_scores


@pytest.fixture(scope="session")
def tiny_corpus():
    return list(TINY_CORPUS)


@pytest.fixture(scope="session")
def tiny_model():
    sentences = [s.split() for s in TINY_CORPUS] * 4
    return train(sentences, hash_bits=14, max_iter=60, folds=2, l2=0.1)


@pytest.fixture(scope="module")
def serve():
    """Start ASGI apps on free local ports with uvicorn; returns a function app -> base URL."""
    import socket
    import threading
    import time

    import uvicorn

    servers = []

    def start(app) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.time() + 30
        while not server.started:
            if time.time() > deadline or not thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def pools_started(monkeypatch):
    """A list that gets an item each time a pool of worker processes is started."""
    import multiprocessing

    started = []
    real = multiprocessing.get_context

    def get_context(*a, **k):
        started.append(True)
        return real(*a, **k)

    # tieng.pool imports multiprocessing when it starts a pool, and calls get_context then.
    monkeypatch.setattr(multiprocessing, "get_context", get_context)
    return started
