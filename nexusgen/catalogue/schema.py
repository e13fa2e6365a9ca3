"""The catalogue's JSON Schema, for editors (yaml-language-server) and reviewers."""

from __future__ import annotations

import functools
from typing import Any

from nexusgen.catalogue.model import Catalogue

SCHEMA_ID = "https://nexusgen.dev/schema/services.schema.json"


@functools.cache  # a fact of the code alone: built once per process (callers only read it)
def catalogue_schema() -> dict:
    schema = _key_patterns(Catalogue.model_json_schema(by_alias=True))
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "nexusgen service catalogue (services.yaml)",
    }


def _key_patterns(node: Any) -> Any:
    """pydantic writes a pattern-checked mapping key as ``patternProperties``, which leaves other keys
    unchecked; state it as it is validated: every key matches (``propertyNames``), every value fits."""
    if isinstance(node, list):
        return [_key_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _key_patterns(value) for key, value in node.items()}
    patterns = out.pop("patternProperties", None)
    if patterns:
        (pattern, value), = patterns.items()
        out["propertyNames"] = {**out.get("propertyNames", {}), "pattern": pattern}
        out["additionalProperties"] = value
    return dict(sorted(out.items())) if patterns else out
