"""The production change-window gate: the release workflow runs this file (standard library only).

nexusgen writes it to ``.github/scripts/change_window.py``; the workflow passes the catalogue's
windows and freezes as JSON through ``env:`` (``WINDOWS``, ``FREEZES``), the release tag
message (``TAG_MESSAGE``, read through the GitHub API: actions/checkout leaves a lightweight tag,
actions/checkout#290) and ``ACTOR``. It exits 0 inside a window and outside every freeze, or when
the annotated release tag's message has a line ``Change-Window-Override: <reason>`` (explicit, and
recorded in git and in the job summary); otherwise 1. The override lives in the tag rather than
in a ``workflow_dispatch`` input, because a release must not take user parameters (checkov
CKV_GHA_7, SLSA). ``NOW`` (ISO 8601) replaces the clock in tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OVERRIDE = "Change-Window-Override:"


def override_reason(message: str) -> str:
    """The reason on the tag message's ``Change-Window-Override:`` line, one line, never a
    workflow command; empty when there is none."""
    for line in message.splitlines():
        if line.strip().startswith(OVERRIDE):
            return " ".join(line.strip()[len(OVERRIDE):].split()).replace("::", ": :")
    return ""


def frozen(now: dt.datetime, freezes: list[dict]) -> dict | None:
    day = now.date().isoformat()
    return next((f for f in freezes if f["start"] <= day <= f["end"]), None)


def in_window(now: dt.datetime, windows: list[dict]) -> bool:
    """No windows declared: any time. Otherwise on a listed day, start <= time < end (UTC)."""
    if not windows:
        return True
    day, clock = DAYS[now.weekday()], now.strftime("%H:%M")
    return any(day in w["days"] and w["start"] <= clock < w["end"] for w in windows)


def decide(now: dt.datetime, windows: list[dict], freezes: list[dict], override: str) -> tuple[bool, str]:
    """(allowed, why); ``override`` is the reason from ``override_reason``."""
    freeze = frozen(now, freezes)
    inside = in_window(now, windows) and freeze is None
    if inside:
        return True, f"{now:%Y-%m-%d %H:%M} UTC is inside a change window"
    why = f"frozen from {freeze['start']} to {freeze['end']}" if freeze else "outside every change window"
    if override:
        return True, f"{now:%Y-%m-%d %H:%M} UTC is {why}; OVERRIDDEN: {override}"
    return False, (f"{now:%Y-%m-%d %H:%M} UTC is {why}; to deploy anyway, tag the release with a message line "
                   f"'{OVERRIDE} <reason>'")



def main(environ: dict[str, str] = os.environ) -> int:
    now = dt.datetime.fromisoformat(environ["NOW"]) if environ.get("NOW") else dt.datetime.now(dt.timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    message = environ.get("TAG_MESSAGE", "")
    allowed, why = decide(now, json.loads(environ.get("WINDOWS") or "[]"), json.loads(environ.get("FREEZES") or "[]"),
                          override_reason(message))
    record = f"Change window: {why} (by {environ.get('ACTOR', 'unknown')})"
    print(record if allowed else f"::error::{record}")
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as f:
            f.write(f"{record}\n")
    return 0 if allowed else 1


if __name__ == "__main__":
    sys.exit(main())
