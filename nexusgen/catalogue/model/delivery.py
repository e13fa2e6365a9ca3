"""Environments: what each one overrides, where it deploys, when production may change; action pins."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from nexusgen.catalogue.model.clusters import Cluster
from nexusgen.catalogue.model.fields import CommitSha, Digest, Domain, Duration, EnvName, ImageRepo, ImageTag, Name, Port, Strict, Text, _text, Value
from nexusgen.catalogue.model.service import Resources


class Override(Strict):
    """What one environment changes about one service. ``config`` and ``secrets`` are merged over the
    service's own (a key set to null removes that variable in this environment)."""

    min_replicas: Annotated[int, Field(ge=1, le=1000)] | None = None
    max_replicas: Annotated[int, Field(ge=1, le=1000)] | None = None
    resources: Resources | None = None
    config: dict[EnvName, Value | None] = {}
    secrets: dict[EnvName, Name | None] = {}


class SecretStore(Strict):
    kind: Literal["SecretStore", "ClusterSecretStore"] = "ClusterSecretStore"
    name: Name
    refresh: Duration = "1h"


Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Clock = _text(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "a time of day such as '08:00' (UTC)", 5)
Date = _text(r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", "a date such as '2026-12-24'", 10)


class ChangeWindow(Strict):
    """When production may change: on ``days``, from ``start`` to ``end`` (UTC, end excluded)."""

    days: list[Day] = Field(min_length=1)
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> "ChangeWindow":
        if self.start >= self.end:
            raise ValueError(f"end {self.end!r} must be after start {self.start!r} (windows do not cross midnight)")
        return self


class Freeze(Strict):
    """Days (``start`` to ``end``, both included, UTC) when production does not change at all."""

    start: Date
    end: Date
    reason: Text

    @model_validator(mode="after")
    def _ordered(self) -> "Freeze":
        if self.start > self.end:
            raise ValueError(f"end {self.end!r} is before start {self.start!r}")
        return self


class PrometheusService(Strict):
    """Where CI reaches the cluster's Prometheus (through the Kubernetes API: kubectl port-forward)."""

    # None: platform.prometheus's namespace (kube-prometheus-stack's, by default <project>-<env>-monitoring).
    namespace: Name | None = None
    # The Prometheus Operator creates prometheus-operated beside every Prometheus it runs.
    service: Name = "prometheus-operated"
    port: Port = 9090


class Canary(Strict):
    """How a canary is judged after its soak: against the stable pods, from Prometheus."""

    soak: Duration = "5m"
    max_error_ratio: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.01
    max_p99_ratio: Annotated[float, Field(ge=1, le=100, allow_inf_nan=False)] = 1.5  # canary p99 / stable p99
    prometheus: PrometheusService = PrometheusService()


class Environment(Strict):
    registry: ImageRepo | None = None
    tag: ImageTag
    digests: dict[Name, Digest] = {}
    domain: Domain | None = None
    secret_store: SecretStore | None = None
    cluster: Cluster | None = None
    tls_issuer: Name | None = None
    approval: bool = False
    min_stateless_replicas: Annotated[int, Field(ge=1, le=100)] = 1
    # Whether services here may hold live exchange trade keys; unset: production only.
    live_trading: bool | None = None
    services: dict[Name, Override] = {}
    change_windows: list[ChangeWindow] = []  # none: any time (outside freezes)
    freezes: list[Freeze] = []
    canary: Canary = Canary()


class Environments(Strict):
    dev: Environment
    staging: Environment
    production: Environment


ENVIRONMENTS = tuple(Environments.model_fields)  # dev (compose), then the cluster environments



class ActionPin(Strict):
    """A GitHub Action pinned to a commit, and the release that commit is (written after it).
    A bare commit SHA is the short form: ``{sha: <it>}``, with the action's major as its comment."""

    sha: CommitSha
    version: _text(r"^v[0-9]+(\.[0-9]+){0,2}$", "a release tag such as 'v4' or 'v4.1.0'", 20) | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_sha(cls, value: object) -> object:
        return {"sha": value} if isinstance(value, str) else value
