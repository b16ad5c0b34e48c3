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


def _recipe(name: str) -> str:
    """The code of the README's recipe ``name`` (the block after its marker)."""
    import pathlib
    import re

    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- recipe: {name} -->\n```python\n(.*?)```", readme, re.S)
    assert found, name
    return found.group(1)


def test_readme_pandas_recipe_keeps_the_gaps():
    pytest.importorskip("pandas")
    scope: dict = {}
    exec(_recipe("pandas"), scope)
    column = scope["df"]["segmented"]
    assert column.isna().tolist() == [False, True, False]  # (pandas keeps None as missing)
    assert column.dropna().tolist() == ["Hà_Nội có nhiều hồ", "Trời mưa to"]


def test_readme_datasets_recipe_keeps_the_gaps():
    scope: dict = {}
    exec(_recipe("datasets"), scope)
    assert scope["ds"]["segmented"] == ["Hà_Nội có nhiều hồ", None, "Trời mưa to"]
