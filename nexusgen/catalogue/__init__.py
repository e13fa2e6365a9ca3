"""Load and validate a catalogue: file -> ``Catalogue``, or every problem, located."""

from __future__ import annotations

from pydantic import ValidationError

from nexusgen.catalogue import checks
from nexusgen.errors import CatalogueError
from nexusgen.catalogue.load import Document, load_bytes
from nexusgen.catalogue.model import Catalogue, foreign_field


def parse(raw: bytes, name: str) -> Catalogue:
    return validate(load_bytes(raw, name))


def validate(doc: Document) -> Catalogue:
    try:
        catalogue = Catalogue.model_validate(doc.data)
    except ValidationError as exc:
        raise CatalogueError([doc.problem(_loc(err), _message(err)) for err in exc.errors()]) from None
    findings = checks.check(catalogue)
    if findings:
        raise CatalogueError([doc.problem(loc, message) for loc, message in findings])
    return catalogue


def _loc(err) -> tuple[str | int, ...]:
    # pydantic appends "[key]" for dict keys that fail validation (keep the key itself), and a tagged
    # union's tag such as "[gcp]" (model/clusters.py): neither is a key of the catalogue.
    return tuple(part for part in err["loc"] if not (isinstance(part, str) and part.startswith("[") and part.endswith("]")))


def _message(err) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        return "unknown field" + foreign_field(err["loc"])
    if kind == "missing":
        return "required field is missing"
    if kind.endswith("_type") and "input" in err:
        value = err["input"]
        shown = type(value).__name__ if isinstance(value, (dict, list)) else repr(value)
        return f"{msg} (got {shown})"
    return msg.removeprefix("Value error, ")
