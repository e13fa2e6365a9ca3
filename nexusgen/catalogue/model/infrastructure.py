"""Infrastructure components, external endpoints and secrets (by reference)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from nexusgen.catalogue.model.fields import Cidr, ContainerPath, EnvName, MetricName, Name, Port, SecretPath, SecretProperty, Storage, Strict, Text, Value
from nexusgen.catalogue.model.service import BaseImage, Resources


class Exporter(Strict):
    """Where Prometheus scrapes a component: its own port, or a sidecar exporter image.

    A sidecar shares the component's network (the same pod on Kubernetes, the component's
    network namespace in compose), so its ``config`` reaches the component on localhost.
    """

    port: Port
    image: BaseImage | None = None  # None: the component serves metrics itself
    up_metric: MetricName = "up"  # 1 while the component itself answers (not only its exporter)
    config: dict[EnvName, Value] = {}
    secrets: dict[EnvName, Name] = {}
    resources: Resources | None = None

    @model_validator(mode="after")
    def _sidecar(self) -> Exporter:
        if self.image is None and (self.config or self.secrets or self.resources):
            raise ValueError("config, secrets and resources belong to a sidecar exporter: give its 'image' too")
        if self.image is not None and self.resources is None:
            raise ValueError("a sidecar exporter needs 'resources' (requests and limits)")
        return self


class Infrastructure(Strict):
    """A stateful or third-party component the services depend on."""

    description: Text
    image: BaseImage
    group: Literal["infrastructure", "monitoring"]
    port: Port
    optional: bool = False
    profile: Name | None = None
    command: list[Annotated[str, Field(min_length=1, max_length=500)]] = []
    healthcheck: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(min_length=1)
    startup_seconds: Annotated[int, Field(ge=5, le=1800)] = 300  # a first start may run initdb or replay a log
    config: dict[EnvName, Value] = {}
    secrets: dict[EnvName, Name] = {}
    storage: ContainerPath | None = None
    storage_size: Storage = "10Gi"
    writable_paths: list[ContainerPath] = ["/tmp"]
    exporter: Exporter | None = None
    resources: Resources

    @model_validator(mode="after")
    def _profile(self) -> Infrastructure:
        if self.optional != (self.profile is not None):
            raise ValueError("optional infrastructure needs a 'profile', and only optional infrastructure has one")
        return self


class External(Strict):
    """An endpoint outside the cluster (an exchange API, a chat service) reached over the internet."""

    description: Text
    cidrs: list[Cidr] = Field(min_length=1)
    ports: list[Port] = Field(min_length=1)
    exchange: bool = False  # an exchange's API: the egress exchange_access is for


class Secret(Strict):
    """A secret known by reference only: where it lives in the store, never its value."""

    description: Text
    path: SecretPath
    property: SecretProperty
    # read: market data only; trade: places real orders; testnet: places orders on the
    # exchange's test network (play money), what a non-live environment's trader holds.
    exchange: Literal["none", "read", "trade", "testnet"] = "none"
