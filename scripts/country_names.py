"""Write the one-syllable Vietnamese names of countries and peoples, for `tieng train --countries`.

They come from the Unicode CLDR's Vietnamese locale data as packaged in Babel (PyPI `babel`,
BSD-3-Clause; the CLDR data under the Unicode licence), file `babel/locale-data/vi.dat`:

* territory names of one syllable (Pháp, Đức, Nga, Lào, Úc, ...);
* the last syllable of the two-syllable names of world regions (Bắc Mỹ, Châu Phi, Đông Á,
  Tây Âu: Mỹ, Phi, Á, Âu);
* the names of languages with a two-letter code written "Tiếng X", X one syllable (Tiếng
  Anh, Tiếng Nhật, Tiếng Hàn, Tiếng Trung: Anh, Nhật, Hàn, Trung).

Only names that are Vietnamese syllables by their shape are kept from CLDR.  With
``--rdrsegmenter DIR`` (``../shared/data/lexicons/rdrsegmenter``: RDRsegmenter's lists,
Apache-2.0), the one-word names of its country lists are added too, written the foreign way
or not (Canada, Indonesia, Campuchia, Lào), so that a country's name before a foreign
person's is told from the person's name (``Canada Justin_Trudeau``).  The file starts with
comment lines giving where the names come from (the model card records them).
Usage: python scripts/country_names.py -o countries.txt [--rdrsegmenter DIR]
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


RDR_FILES = ("countries_short.txt", "countries_long.txt")


def rdr_country_names(folder: Path) -> tuple[list[str], dict[str, str]]:
    """The one-word names of RDRsegmenter's country lists, capitalized (``canada``:
    ``Canada``; ``ai-len``: ``Ai-len``), and the checksums of the files."""
    names: set[str] = set()
    sums = []
    for name in RDR_FILES:
        data = (folder / name).read_bytes()
        sums.append(f"{name} {hashlib.sha256(data).hexdigest()}")
        for line in data.decode("utf-8").splitlines():
            entry = line.strip()
            if entry and len(entry.split()) == 1:
                names.add(entry[:1].upper() + entry[1:])
    source = {
        "rdrsegmenter": "RDRsegmenter (datquocnguyen/RDRsegmenter, Vocabulary.java), Apache-2.0",
        "rdrsegmenter files": "; ".join(sums),
    }
    return sorted(names), source


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-o", "--output", type=Path, required=True)
    p.add_argument("--rdrsegmenter", type=Path, help="also the one-word names of these lists")
    args = p.parse_args()
    try:
        names, source = country_names()
    except ImportError:
        print("country_names: needs Babel: pip install '.[train]'", file=sys.stderr)
        return 2
    if args.rdrsegmenter:
        more, more_source = rdr_country_names(args.rdrsegmenter)
        names = sorted(set(names) | set(more))
        source.update(more_source)
    head = [f"# {k}: {v}" for k, v in source.items()]
    args.output.write_text("\n".join([*head, *names]) + "\n", encoding="utf-8")
    print(f"country_names: {len(names)} names: {' '.join(names)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
