"""Base images the catalogue may name: which language version each carries, and which its publisher dropped.

Facts (checked November 2026):
- distroless removed ``gcr.io/distroless/python3-debian12`` in May 2026 (GoogleContainerTools/distroless
  #2084, per its SUPPORT_POLICY.md); ``python3-debian13`` (GA in #1986, January 2026) ships Debian 13's
  Python 3.13. A ``python:3.11`` build stage cannot feed it: extension modules are built for one ABI.
- distroless ``nodejs20/22/24-debian13`` exist (README "Debian 13" table, #1986); ``nodejs20`` follows
  Node.js 20, which reached end of life on 2026-04-30.
- Node.js release schedule (nodejs/Release): 18 ended 2025-04-30, 20 ended 2026-04-30; 22 is
  supported to 2027-04-30, 24 to 2028-04-30. Python (devguide "Status of Python versions"): 3.9 ended
  2025-10, 3.10 ends 2026-10; 3.11 to 2027-10, 3.12 to 2028-10, 3.13 to 2029-10.
"""

from __future__ import annotations

import re

# distroless image -> the language version inside it (None: no longer published).
DISTROLESS: dict[str, str | None] = {
    "gcr.io/distroless/python3-debian11": None,
    "gcr.io/distroless/python3-debian12": None,
    "gcr.io/distroless/python3-debian13": "3.13",
    "gcr.io/distroless/nodejs20-debian12": "20",
    "gcr.io/distroless/nodejs20-debian13": "20",
    "gcr.io/distroless/nodejs22-debian12": "22",
    "gcr.io/distroless/nodejs22-debian13": "22",
    "gcr.io/distroless/nodejs24-debian12": "24",
    "gcr.io/distroless/nodejs24-debian13": "24",
}
# Language versions past their end of life (month it ended).
END_OF_LIFE: dict[str, dict[str, str]] = {
    "python": {"3.7": "2023-06", "3.8": "2024-10", "3.9": "2025-10", "3.10": "2026-10"},
    "node": {"16": "2023-09", "18": "2025-04", "19": "2023-06", "20": "2026-04", "21": "2024-06", "23": "2025-06", "25": "2026-06"},
}
# How much of a version fixes the ABI: Python major.minor, Node.js major.
_VERSION = {"python": re.compile(r"^([0-9]+\.[0-9]+)"), "node": re.compile(r"^([0-9]+)")}


def language_version(runtime: str, tag: str) -> str | None:
    """``3.11-slim`` -> ``3.11`` (python), ``20-alpine`` -> ``20`` (node); None when the tag does not say."""
    found = _VERSION[runtime].match(tag)
    return found.group(1) if found else None
