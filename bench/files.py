"""The disk's share of a render, without nexusgen: write the files a render wrote (same paths,
same sizes, zero bytes) into a new folder, each staged as a temp file then renamed into place,
as nexusgen writes them. Nothing is rendered, validated or imported beyond the standard library.

Usage: python bench/files.py LISTING --out FOLDER
(LISTING: one ``size<TAB>relative path`` per line, as bench/run.py writes it)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[2] != "--out":
        raise SystemExit(__doc__)
    listing, out = sys.argv[1], sys.argv[3]
    entries = [line.split("\t", 1) for line in Path(listing).read_text(encoding="utf-8").splitlines()]
    staged = []
    made: set[str] = set()
    for size, rel in entries:
        folder, _, name = f"{out}/{rel}".rpartition("/")
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        temp = f"{folder}/.{name}.bench-tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
        try:
            os.write(fd, bytes(int(size)))
        finally:
            os.close(fd)
        staged.append((temp, f"{folder}/{name}"))
    for temp, final in staged:
        os.replace(temp, final)


if __name__ == "__main__":
    main()
