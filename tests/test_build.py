"""Which code runs: the compiled helpers, chosen once at import and checked, or Python."""

import os
import re
import types
from pathlib import Path

import pytest

from tieng import _accel, _pure

PURE = os.environ.get("TIENG_PURE_PYTHON", "") not in ("", "0")
SRC = Path(_accel.__file__).parent


def test_the_compiled_helpers_are_built_and_used_unless_python_is_asked_for():
    """CI builds them (a C compiler is there), so their absence is a failure, not a skip;
    with TIENG_PURE_PYTHON=1 (CI's second pass) the pure-Python twins run."""
    if PURE:
        assert _accel.speedups is None and _accel.kernels is _pure
        return
    from tieng import _speedups

    assert _accel.speedups is _speedups and _accel.kernels is _speedups
    for name in ("table_weights", "scan_chunks", "lookup_codes", "CodeTable", "Scorer",
                 "Line", "span_keys", "span_table", "tag_rows", "tie_gaps"):  # fmt: skip
        assert hasattr(_speedups, name)
    assert hasattr(_speedups, "codes_of_spans") and hasattr(_speedups, "write_segmented")


def test_one_seam_picks_the_code():
    """Only tieng._accel imports the compiled module; the others call _accel.kernels and never
    ask which it is (the scorer, whose reference is the model's numpy code, finds
    kernels.Scorer None on the pure path)."""
    importers = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if re.search(
            r"import _speedups|_speedups import|from \._accel import", p.read_text("utf-8")
        )
    )
    assert importers == ["_accel.py"]
    asking = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "_accel.speedups" in p.read_text("utf-8")
    )
    assert asking == []


def test_the_pure_twins_bear_the_compiled_names():
    if _accel._compiled is None:
        pytest.skip("tieng was built without a C compiler")
    for name in _pure.__all__:
        assert hasattr(_accel._compiled, name), name


def test_a_stale_build_falls_back_to_python_with_a_warning():
    stale = types.ModuleType("tieng._speedups")
    stale.__file__ = "/old/_speedups.so"
    stale.ABI_VERSION = _accel.ABI_VERSION - 1
    with pytest.warns(RuntimeWarning, match="another version of tieng.*pip install"):
        assert _accel.choose(stale, "") is None
    older = types.ModuleType("tieng._speedups")  # from before the version was exported
    older.__file__ = "/older/_speedups.so"
    with pytest.warns(RuntimeWarning, match="ABI None"):
        assert _accel.choose(older, "") is None
    good = types.ModuleType("tieng._speedups")
    good.ABI_VERSION = _accel.ABI_VERSION
    assert _accel.choose(good, "") is good
    assert _accel.choose(good, "1") is None and _accel.choose(good, "0") is good
    assert _accel.choose(None, "") is None


@pytest.mark.skipif(_accel._compiled is None, reason="tieng was built without a C compiler")
def test_the_compiled_constants_are_the_python_ones():
    from tieng import _speedups
    from tieng.engine.features import (
        _LIST_SOURCES,
        _SRC_LIST,
        LEX_BITS_MAX,
        MAX_LISTS,
        Shape,
        SpanTable,
    )

    assert _speedups.ABI_VERSION == _accel.ABI_VERSION
    assert _speedups.SHAPE_COUNT == Shape.COUNT
    assert _speedups.LEX_BITS_MAX == LEX_BITS_MAX
    assert _speedups.MAX_LISTS == MAX_LISTS
    assert (_speedups.SRC_LIST, _speedups.LIST_SOURCES) == (_SRC_LIST, _LIST_SOURCES)
    assert _speedups.N_SOURCES == _SRC_LIST + _LIST_SOURCES * MAX_LISTS
    assert _speedups.SPAN_PREFIX == SpanTable.PREFIX
    from tieng.capitals import CAPS_MIN, CAPS_SHARE, TITLE_MIN, TITLE_SHARE
    from tieng.engine.features import PAD

    assert (_speedups.TITLE_MIN, _speedups.PAD_TOKENS) == (TITLE_MIN, PAD)
    assert (_speedups.CAPS_MIN, (_speedups.CAPS_NUM, _speedups.CAPS_DEN)) == (CAPS_MIN, CAPS_SHARE)
    assert (_speedups.TITLE_NUM, _speedups.TITLE_DEN) == TITLE_SHARE
    from tieng import _pure
    from tieng.engine.features import SyllableFlag

    assert _speedups.FLAG_UNGLUED == _pure.UNGLUED == SyllableFlag.UNGLUED
    assert _speedups.FLAG_ALL == SyllableFlag.ALL
    assert (_speedups.SHAPE_FOREIGN, _speedups.SHAPE_FOREIGN_TITLE, _speedups.SHAPE_COUNTRY) == (
        Shape.FOREIGN,
        Shape.FOREIGN_TITLE,
        Shape.COUNTRY,
    )


@pytest.mark.skipif(_accel._compiled is None, reason="tieng was built without a C compiler")
def test_the_stubs_name_what_the_compiled_module_has():
    """_speedups.pyi (what mypy reads) declares every public name of the module, and no other."""
    import ast
    from pathlib import Path

    from tieng import _speedups

    tree = ast.parse((Path(_accel.__file__).parent / "_speedups.pyi").read_text(encoding="utf-8"))
    declared = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            declared.add(node.target.id)
    declared = {name for name in declared if not name.startswith("_")}
    assert declared == {name for name in dir(_speedups) if not name.startswith("_")}
