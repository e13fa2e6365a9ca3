"""Frozen pydantic models of the catalogue (``services.yaml``), one module per section.

Field-level rules live in these models; rules that relate several fields (the dependency graph,
port collisions, secret reach, environment overrides) live in ``catalogue/checks.py`` and its
sibling rule modules. The rest of nexusgen imports models from here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nexusgen.catalogue.model.cloud import Cloud, CloudEnvironment
from nexusgen.catalogue.model.clusters import foreign_field
from nexusgen.catalogue.model.delivery import ENVIRONMENTS, ActionPin, Environment, Environments
from nexusgen.catalogue.model.fields import (
    DIGEST, MAX_DURATION, ActionName, Name, Strict, cpu_cores, cpu_millicores, memory_bytes, memory_parts,
)
from nexusgen.catalogue.model.infrastructure import External, Infrastructure, Secret
from nexusgen.catalogue.model.monitoring import BusinessAlert, Monitoring, Thresholds
from nexusgen.catalogue.model.platform import Platform, minor, semver
from nexusgen.catalogue.model.serving import METRICS, PROTOCOLS, NamedPort, Probe, Schedule
from nexusgen.catalogue.model.service import (
    ApiAccess, BaseImage, CiSetup, Dependencies, DockerBuild, HealthCheck, Metric, Project, RedisAcl, Resources, Runtime,
    Service,
)

__all__ = [
    "DIGEST", "ENVIRONMENTS", "MAX_DURATION", "ApiAccess", "BaseImage", "BusinessAlert", "Catalogue", "Cloud",
    "CiSetup", "CloudEnvironment", "Dependencies", "DockerBuild", "Environment", "HealthCheck", "Infrastructure", "METRICS", "Metric", "NamedPort",
    "PROTOCOLS", "Platform", "Probe", "Schedule", "RedisAcl",
    "Resources", "Runtime", "Secret", "Service", "Thresholds", "cpu_cores", "cpu_millicores", "memory_bytes",
    "foreign_field", "memory_parts", "minor", "semver",
]


class Catalogue(Strict):
    version: Literal[1]
    project: Project
    runtimes: dict[Name, Runtime] = {}
    actions: dict[ActionName, ActionPin] = {}
    services: dict[Name, Service] = Field(min_length=1)
    infrastructure: dict[Name, Infrastructure] = {}
    external: dict[Name, External] = {}
    secrets: dict[Name, Secret] = {}
    environments: Environments
    monitoring: Monitoring
    cloud: Cloud | None = None  # Terraform for the cluster environments (families/terraform)
    platform: Platform = Platform()
