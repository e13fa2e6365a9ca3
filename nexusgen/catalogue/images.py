"""Base images the catalogue may name: which language version each carries, and which its publisher dropped.

Facts (checked November 2026):
- distroless removed ``gcr.io/distroless/python3-debian12`` in May 2026 (GoogleContainerTools/distroless
  #2084, per its SUPPORT_POLICY.md); ``python3-debian13`` (GA in #1986, January 2026) ships Debian 13's
  Python 3.13. A ``python:3.11`` build stage cannot feed it: extension modules are built for one ABI.
- distroless ``nodejs20/22/24-debian13`` exist (README "Debian 13" table, #1986); ``nodejs20`` follows
  Node.js 20, which reached end of life on 2026-04-30.
- distroless (README at commit cd08076, 2026-08-21) publishes ``static-debian12/13`` (no libc: for
  static binaries such as Go's with CGO_ENABLED=0) and ``java17/21/25-debian13`` (``java21-debian12``
  too), each with a ``nonroot`` tag (UID 65532).
- .NET 10 (LTS, November 2025, supported to November 2028) ships Ubuntu 24.04 images, among them
  ``mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled`` and ``runtime-deps:10.0-noble-chiseled``:
  Ubuntu Chiseled, Microsoft's distroless (no shell, no package manager; dotnet/dotnet-docker #6860).
  .NET 8 (LTS) and 9 (STS, extended to 24 months) both ended on 2026-11-10.
- Go supports each release until the second newer one ships (go.dev/doc/devel/release): Go 1.26
  was released in February 2026, which ended 1.24.
- Java: Temurin 21 and 25 are LTS; the six-month releases (22, 23, 24) end with the next one.
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
    "gcr.io/distroless/java17-debian12": "17",
    "gcr.io/distroless/java17-debian13": "17",
    "gcr.io/distroless/java21-debian12": "21",
    "gcr.io/distroless/java21-debian13": "21",
    "gcr.io/distroless/java25-debian13": "25",
}
# Shell-free images that carry no language runtime at all: a statically linked binary runs on them
# whatever language version built it.
RUNTIME_FREE = frozenset({
    "gcr.io/distroless/static-debian12", "gcr.io/distroless/static-debian13",
})
# Microsoft's distroless: Ubuntu Chiseled .NET images, recognised by their tag.
CHISELED = re.compile(r"^mcr\.microsoft\.com/dotnet/(runtime-deps|runtime|aspnet)$")
# Language versions past their end of life (month it ended).
END_OF_LIFE: dict[str, dict[str, str]] = {
    "python": {"3.7": "2023-06", "3.8": "2024-10", "3.9": "2025-10", "3.10": "2026-10"},
    "dotnet": {"6.0": "2024-11", "7.0": "2024-05", "8.0": "2026-11", "9.0": "2026-11"},
    "go": {"1.21": "2024-08", "1.22": "2025-02", "1.23": "2025-08", "1.24": "2026-02"},
    "java": {"19": "2023-03", "20": "2023-09", "22": "2024-09", "23": "2025-03", "24": "2025-09"},
    "node": {"16": "2023-09", "18": "2025-04", "19": "2023-06", "20": "2026-04", "21": "2024-06", "23": "2025-06", "25": "2026-06"},
}
# How much of a version fixes the ABI: Python major.minor, Node.js major, Go major.minor, Java major
# (Maven images say it after 'eclipse-temurin-'), .NET major.minor.
_VERSION = {
    "python": re.compile(r"^([0-9]+\.[0-9]+)"), "node": re.compile(r"^([0-9]+)"), "go": re.compile(r"^([0-9]+\.[0-9]+)"),
    "java": re.compile(r"^(?:.*-temurin-)?([0-9]+)"), "dotnet": re.compile(r"^([0-9]+\.[0-9]+)"),
}


def language_version(runtime: str, tag: str) -> str | None:
    """``3.11-slim`` -> ``3.11`` (python), ``20-alpine`` -> ``20`` (node),
    ``3.9-eclipse-temurin-21`` -> ``21`` (java); None when the tag does not say."""
    found = _VERSION[runtime].match(tag) if runtime in _VERSION else None
    return found.group(1) if found else None


def shell_free(image: str, tag: str) -> bool:
    """A distroless image: no shell, no package manager (distroless, or .NET's chiseled)."""
    return image in DISTROLESS or image in RUNTIME_FREE or (CHISELED.match(image) is not None and "chiseled" in tag)


def run_version(runtime: str, image: str, tag: str) -> str | None:
    """The language version a run image carries (a distroless image's from its name)."""
    return DISTROLESS[image] if image in DISTROLESS else language_version(runtime, tag)
