"""Write the one-syllable Vietnamese names of countries and peoples, for `tieng train --countries`.

They come from the Unicode CLDR's Vietnamese locale data as packaged in Babel (PyPI `babel`,
BSD-3-Clause; the CLDR data under the Unicode licence), file `babel/locale-data/vi.dat`:

* territory names of one syllable (Pháp, Đức, Nga, Lào, Úc, ...);
* the last syllable of the two-syllable names of world regions (Bắc Mỹ, Châu Phi, Đông Á,
  Tây Âu: Mỹ, Phi, Á, Âu);
* the names of languages with a two-letter code written "Tiếng X", X one syllable (Tiếng
  Anh, Tiếng Nhật, Tiếng Hàn, Tiếng Trung: Anh, Nhật, Hàn, Trung).

Only names that are Vietnamese syllables by their shape are kept: a foreign-looking name
(Canada) already has a shape of its own with `--foreign`.  The file starts with comment
lines giving Babel's version and the checksum of vi.dat (the model card records them).
Usage: python scripts/country_names.py -o countries.txt
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from tieng.engine.vocabulary import is_syllable

REGION_PREFIXES = ("Bắc", "Nam", "Trung", "Tây", "Đông", "Châu")


def country_names() -> tuple[list[str], dict[str, str]]:
    """The names, sorted, and where they come from (Babel's version, vi.dat's sha256)."""
    import babel
    from babel import Locale

    vi = Locale("vi")
    names: set[str] = set()
    for code, name in vi.territories.items():
        parts = name.split()
        if len(parts) == 1:
            names.add(parts[0])
        elif code.isdigit() and len(parts) == 2 and parts[0] in REGION_PREFIXES:
            names.add(parts[1])
    for code, name in vi.languages.items():
        parts = name.split()
        if len(code) == 2 and len(parts) == 2 and parts[0] == "Tiếng":
            names.add(parts[1])
    kept = sorted(n for n in names if n[:1].isupper() and "-" not in n and is_syllable(n))
    data = Path(babel.__file__).parent / "locale-data" / "vi.dat"
    source = {
        "package": f"babel {babel.__version__} (PyPI), BSD-3-Clause; CLDR data, Unicode licence",
        "file": "babel/locale-data/vi.dat",
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
    }
    return kept, source


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", type=Path, required=True)
    args = p.parse_args()
    try:
        names, source = country_names()
    except ImportError:
        print("country_names: needs Babel: pip install '.[train]'", file=sys.stderr)
        return 2
    head = [f"# {k}: {v}" for k, v in source.items()]
    args.output.write_text("\n".join([*head, *names]) + "\n", encoding="utf-8")
    print(f"country_names: {len(names)} names: {' '.join(names)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
