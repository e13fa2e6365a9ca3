"""Monitoring: thresholds, receivers and business alerts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from nexusgen.catalogue.alert_kinds import ALERT_KINDS
from nexusgen.catalogue.model.fields import AlertName, Channel, Duration, FilePath, HttpsUrl, LabelName, MAX_THRESHOLD, MetricName, Name, Priority, Strict, Text, _text


AlertKindName = Literal[tuple(ALERT_KINDS)]  # one per entry of the registry, in its order


class BusinessAlert(Strict):
    """An alert on a custom metric, stated as data so services and rules agree."""

    alert: AlertName
    service: Name
    metric: MetricName
    kind: AlertKindName
    threshold: Annotated[float, Field(ge=-MAX_THRESHOLD, le=MAX_THRESHOLD)]  # each kind narrows it (checks.py)
    good: dict[LabelName, Annotated[str, Field(max_length=200)]] = {}
    for_: Duration = Field("5m", alias="for")
    priority: Priority
    summary: Text
    description: Text
    # ratio_below only: below this many events per second the ratio is not judged (one rejected
    # order of two is no outage; the alert needs volume before it pages).
    min_rate: Annotated[float, Field(gt=0, le=1000)] | None = None

    @model_validator(mode="after")
    def _min_rate(self) -> BusinessAlert:
        if self.min_rate is not None and self.kind != "ratio_below":
            raise ValueError("min_rate guards a ratio (kind ratio_below) only")
        return self


class Thresholds(Strict):
    error_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.05
    # Below this many requests per second HighErrorRate stays silent: one failed request of
    # two at night is not an outage (ServiceDown and the business alerts still watch).
    min_request_rate: Annotated[float, Field(ge=0, le=1000)] = 0.1
    latency_p99_seconds: Annotated[float, Field(gt=0, le=3600)] = 1.0
    cpu_ratio: Annotated[float, Field(gt=0, le=1)] = 0.9
    memory_ratio: Annotated[float, Field(gt=0, le=1)] = 0.9
    restarts_per_hour: Annotated[int, Field(ge=1)] = 3  # at most reserved.MAX_RESTARTS_PER_HOUR (checks.py)
    volume_free_ratio: Annotated[float, Field(gt=0, lt=1)] = 0.15
    certificate_days: Annotated[int, Field(ge=1, le=90)] = 14


class Receivers(Strict):
    """Alert destinations; credentials are files mounted into Alertmanager, never values."""

    pagerduty_routing_key_file: FilePath
    slack_api_url_file: FilePath
    slack_channel: Channel
    notice_channel: Channel
    # The dead man's switch: Alertmanager calls this URL (a heartbeat monitor outside the cluster,
    # e.g. an Opsgenie heartbeat ping) every minute while the Watchdog alert fires, with the bearer
    # token read from the file; silence from it means alerting is broken. None: the Watchdog is
    # routed to a receiver that notifies nobody (declare the URL to arm the switch).
    heartbeat_url: _text(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?$", "an https URL such as 'https://api.opsgenie.com/v2/heartbeats/nexus/ping'", 300) | None = None
    heartbeat_token_file: FilePath = "/etc/alertmanager/secrets/heartbeat-token"
    heartbeat_auth_scheme: _text(r"^[A-Za-z][A-Za-z0-9-]{0,30}$", "an HTTP authorization scheme such as 'Bearer'", 31) = "Bearer"  # Opsgenie: GenieKey


class Monitoring(Strict):
    runbook_base_url: HttpsUrl
    http_requests_metric: MetricName = "http_requests_total"
    http_duration_metric: MetricName = "http_request_duration_seconds"
    thresholds: Thresholds = Thresholds()
    receivers: Receivers
    alerts: list[BusinessAlert] = []
