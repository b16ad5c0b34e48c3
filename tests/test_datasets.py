"""A segmenter inside Hugging Face ``datasets.Dataset.map`` with worker processes."""

import pytest

import tieng

datasets = pytest.importorskip("datasets")  # the test extra installs it

SEG = tieng.Segmenter()


def add_segmented(batch):
    return {"segmented": list(SEG.pipe_text(batch["text"]))}


def test_dataset_map_with_two_processes():
    texts = [f"Thành phố sẽ đầu tư xây dựng tuyến số {k}." for k in range(40)]
    ds = datasets.Dataset.from_dict({"text": texts})
    out = ds.map(add_segmented, batched=True, batch_size=8, num_proc=2)
    assert out["segmented"] == [tieng.segment_text(t) for t in texts]
