"""Terraform under ``terraform/``: the cloud the manifests and pipelines assume (issue 18).

Written as data (``hcl.Block``) and dumped by ``hcl.dumps`` in ``terraform fmt`` layout; the
provider-specific part is a subpackage per cloud (only ``aws`` today), chosen by ``cloud.provider``.
Nothing is rendered when the catalogue has no ``cloud`` section.
"""

from __future__ import annotations

import importlib
from pathlib import PurePosixPath

from nexusgen.families.terraform import hcl
from nexusgen.plan import Plan, paths

ROOT = paths.TERRAFORM


def render(plan: Plan, templates) -> dict[PurePosixPath, str]:
    cloud = plan.catalogue.cloud
    if cloud is None:
        return {}
    provider = importlib.import_module(f"nexusgen.families.terraform.{cloud.provider}")
    return {ROOT / path: hcl.dumps(blocks) for path, blocks in sorted(provider.files(plan).items())}
