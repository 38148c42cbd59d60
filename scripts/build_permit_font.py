#!/usr/bin/env python3
"""Build the CJK font subset embedded in permit PDFs: ``src/homeward/core/permits/fonts/``.

Permit PDFs must show Chinese on a machine with no CJK font installed, so the PDF embeds a font that
Homeward ships. The source is Noto Sans CJK SC Regular (SIL Open Font License 1.1) from Debian's
``fonts-noto-cjk`` package; the full face is ~16 MB, so we keep only:

- every character of GB2312 (levels 1 and 2: 6,763 hanzi, plus its symbol rows 1-9: punctuation,
  full-width forms, kana, Greek, Cyrillic, box drawing), which covers everyday names of people
  and companies;
- printable ASCII and a few extra symbols used on the permit (``·``, ``×``, ``—``, ``〓``);
- every character of a region, town or station name shipped in ``core/regions/data`` (a few county
  names use characters outside GB2312).

Characters a permit needs but the subset lacks are drawn as ``〓`` by the renderer.

Invocation (from the repository root; the script needs fonttools, which fpdf2 already depends on)::

    apt-get install fonts-noto-cjk                 # provides NotoSansCJK-Regular.ttc
    .venv/bin/python scripts/build_permit_font.py            # write the subset, OFL.txt and NOTICE.md
    .venv/bin/python scripts/build_permit_font.py --check    # rebuild in memory and compare bytes

The output is deterministic for a given source font and fonttools version (timestamps are kept from
the source, no recalculation).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

from fontTools import subset
from fontTools import version as fonttools_version
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "homeward" / "core" / "permits" / "fonts"
FONT_NAME = "NotoSansCJKsc-Regular-permit.otf"
SOURCE_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FACE = "NotoSansCJKsc-Regular"  # PostScript name of the Simplified Chinese face in the collection
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
REGIONS_DATA = ROOT / "src" / "homeward" / "core" / "regions" / "data"
EXTRA = "·×—–〓№℃…‘’“”、。，：；！？（）《》【】〔〕"


def gb2312_characters() -> set[str]:
    chars: set[str] = set()
    for row in list(range(1, 10)) + list(range(16, 88)):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row + 0xA0, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def region_characters() -> set[str]:
    chars: set[str] = set()
    with gzip.open(REGIONS_DATA / "regions.json.gz", "rt", encoding="utf-8") as fh:
        for row in json.load(fh):
            chars.update(row[1])
            chars.update(row[2])
    with gzip.open(REGIONS_DATA / "spans.json.gz", "rt", encoding="utf-8") as fh:
        chars.update(ch for ch in json.dumps(json.load(fh), ensure_ascii=False) if ord(ch) > 0x2E7F)
    for name in ("towns.csv", "stations.csv"):
        with open(REGIONS_DATA / name, encoding="utf-8", newline="") as fh:
            for record in csv.reader(fh):
                chars.update(ch for cell in record for ch in cell if ord(ch) > 0x2E7F)
    return chars


def wanted_characters() -> list[int]:
    chars = gb2312_characters() | region_characters() | set(EXTRA)
    chars |= {chr(c) for c in range(0x20, 0x7F)}
    return sorted(ord(ch) for ch in chars)


def source_face() -> TTFont:
    collection = TTCollection(str(SOURCE_TTC), recalcTimestamp=False)
    for font in collection.fonts:
        if font["name"].getDebugName(6) == SOURCE_FACE:
            font.recalcTimestamp = False
            return font
    raise SystemExit(f"{SOURCE_FACE} not found in {SOURCE_TTC}")


def build_font() -> tuple[bytes, int]:
    font = source_face()
    codepoints = wanted_characters()
    options = subset.Options()
    options.layout_features = []  # no shaping needed for horizontal CJK + Latin
    options.name_IDs = ["*"]  # keep copyright, licence and trademark strings
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.drop_tables += ["vhea", "vmtx", "VORG", "BASE", "GSUB", "GPOS", "GDEF"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    cmap = font.getBestCmap()
    covered = sum(1 for cp in codepoints if cp in cmap)
    return out.getvalue(), covered


def licence_text() -> str:
    """The OFL text as Debian ships it for fonts-noto-cjk, de-indented from the copyright file."""
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    start = lines.index("License: SIL-1.1", lines.index("Files: debian/*"))
    body: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        text = line[1:]
        body.append("" if text == "." else text)
    header = "© 2014-2021 Adobe (http://www.adobe.com/). Noto is a trademark of Google Inc.\n\n"
    return header + "\n".join(body).strip() + "\n"


def debian_version() -> str:
    try:
        result = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", "fonts-noto-cjk"],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def notice(font_bytes: bytes, covered: int, total: int) -> str:
    return f"""# Permit font: provenance and licence

`{FONT_NAME}` is a subset of **Noto Sans CJK SC Regular** (face `{SOURCE_FACE}` of
`NotoSansCJK-Regular.ttc`, version 2.004), taken from Debian's `fonts-noto-cjk` package
(version {debian_version()}). Copyright © 2014-2021 Adobe; Noto is a trademark of Google Inc.
Licensed under the SIL Open Font License, Version 1.1: see `OFL.txt` beside this file. The subset is a
Modified Version under the OFL and is distributed under the same licence; the font's name, copyright
and licence records are kept unchanged.

Built by `scripts/build_permit_font.py` with fonttools {fonttools_version}: GB2312 (levels 1 and 2 plus
symbol rows), printable ASCII, a few extra symbols, and every character of the shipped region, town and
station names; layout and vertical-metrics tables dropped, hinting removed.
{covered} of {total} requested code points are covered. Size {len(font_bytes):,} bytes,
SHA-256 `{hashlib.sha256(font_bytes).hexdigest()}`.

fpdf2 embeds only the glyphs a document uses, so a permit PDF carries a small font subset of its own.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="rebuild in memory and compare with the files")
    args = parser.parse_args(argv)
    if not SOURCE_TTC.exists():
        print(f"missing {SOURCE_TTC}: apt-get install fonts-noto-cjk", file=sys.stderr)
        return 2
    font_bytes, covered = build_font()
    total = len(wanted_characters())
    outputs = {
        FONT_NAME: font_bytes,
        "OFL.txt": licence_text().encode("utf-8"),
        "NOTICE.md": notice(font_bytes, covered, total).encode("utf-8"),
    }
    if args.check:
        stale = [name for name, data in outputs.items() if (OUT_DIR / name).read_bytes() != data]
        if stale:
            print("out of date: " + ", ".join(stale), file=sys.stderr)
            return 1
        print("permit font files are up to date")
        return 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in outputs.items():
        (OUT_DIR / name).write_bytes(data)
    print(f"wrote {OUT_DIR / FONT_NAME}: {len(font_bytes):,} bytes, {covered}/{total} code points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
