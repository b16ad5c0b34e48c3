"""Run the fuzz targets over the committed seeds once, without atheris (which only the fuzzing
needs): python fuzz/replay.py [SEED_DIR ...] (default: fuzz/seeds).

For a build with the address and undefined-behaviour sanitizers, as `.ci/sanitize` runs it:
every seed goes through the compiled helpers and their Python twins, and any memory error or
undefined behaviour stops the run.  Exit 0 when every seed passes.
"""

from __future__ import annotations

import sys
import types
from contextlib import nullcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _Provider:
    """atheris.FuzzedDataProvider's few calls the targets make, over the bytes of a seed."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def ConsumeBool(self) -> bool:
        value, self.data = bool(self.data[:1] and self.data[0] & 1), self.data[1:]
        return value

    def ConsumeBytes(self, n: int) -> bytes:
        value, self.data = self.data[:n], self.data[n:]
        return value

    def ConsumeUnicodeNoSurrogates(self, n: int) -> str:
        text = self.data.decode("utf-8", "replace")[:n]
        self.data = b""
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _stub_atheris() -> None:
    stub = types.ModuleType("atheris")
    stub.instrument_imports = nullcontext  # type: ignore[attr-defined]
    stub.FuzzedDataProvider = _Provider  # type: ignore[attr-defined]
    sys.modules.setdefault("atheris", stub)


def main(argv: list[str]) -> int:
    _stub_atheris()
    sys.path.insert(0, str(HERE))
    import fuzz_tieng

    folders = [Path(a) for a in argv] or [HERE / "seeds"]
    seeds = sorted(p for f in folders for p in f.iterdir() if p.is_file())
    for seed in seeds:
        data = seed.read_bytes()
        for flip in (b"\x01", b"\x00"):  # each seed as text and as a raw JSONL chunk
            fuzz_tieng.one_input(flip + data)
        fuzz_tieng.check(data.decode("utf-8", "replace"))
    print(f"replay: {len(seeds)} seeds passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
