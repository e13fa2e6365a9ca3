"""Write what an environment runs back into the catalogue's text: its tag and pushed digests.

The release pipeline calls this (``nexusgen record-deployment``) after a production deploy, so the
repository describes what runs. Only ``environments.<env>.tag`` and ``.digests`` change; every
other byte (comments, order, layout) stays as written. The result is parsed and validated again.
"""

from __future__ import annotations

import json
import re

import yaml

from nexusgen.catalogue import parse
from nexusgen.catalogue.model import DIGEST
from nexusgen.errors import UsageError


def read_digests(text: str) -> dict[str, str]:
    """``service sha256:...`` lines (what the workflows keep as the ``digests`` artifact)."""
    digests = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not re.fullmatch(DIGEST.strip("^$"), fields[1]):
            raise UsageError(f"digests line {number}: expected 'service sha256:<64 hex>', got {line!r}")
        digests[fields[0]] = fields[1]
    return dict(sorted(digests.items()))


def _child(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return k, v
    return None


def record(text: str, env: str, tag: str, digests: dict[str, str], name: str = "services.yaml") -> str:
    """``text`` with ``environments.<env>.tag`` set to ``tag`` and ``.digests`` to ``digests``."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    envs = _child(root, "environments")
    found = _child(envs[1], env) if envs else None
    if found is None or not isinstance(found[1], yaml.MappingNode) or found[1].flow_style:
        raise UsageError(f"{name}: environments.{env} is not a block mapping; record the deployment by hand")
    mapping = found[1]
    edits = []  # (start, end, replacement) in character offsets, applied from the end
    flow = "{" + ", ".join(f"{svc}: {json.dumps(d)}" for svc, d in digests.items()) + "}"
    for key, value in ((("tag", json.dumps(tag))), ("digests", flow)):
        pair = _child(mapping, key)
        if pair is not None:
            edits.append((pair[1].start_mark.index, pair[1].end_mark.index, value))
        else:  # a new line before the mapping's first key, at its indentation
            first = mapping.value[0][0].start_mark
            edits.append((first.index, first.index, f"{key}: {value}\n" + " " * first.column))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    parse(text.encode("utf-8"), name)  # still a valid catalogue, or exit 2 with the location
    return text
