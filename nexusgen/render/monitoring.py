"""Placeholder until the monitoring family lands; renders nothing."""

from __future__ import annotations

from pathlib import PurePosixPath


def render(plan, templates) -> dict[PurePosixPath, str]:
    return {}
