"""The catalogue's JSON Schema, for editors (yaml-language-server) and reviewers."""

from __future__ import annotations

from nexusgen.catalogue.model import Catalogue

SCHEMA_ID = "https://nexusgen.dev/schema/services.schema.json"


def catalogue_schema() -> dict:
    schema = Catalogue.model_json_schema(by_alias=True)
    return {
        **schema,
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "nexusgen service catalogue (services.yaml)",
    }
