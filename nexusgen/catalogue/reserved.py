"""What nexusgen claims for itself, so validation can keep the catalogue off it.

The monitoring family generates these alerts and scrape jobs and simulates at most this many
restarts; ``checks.py`` reads them here (validation imports no later stage) and the family
asserts that it generates nothing else.
"""

from __future__ import annotations

# Alerts nexusgen generates for every service, infrastructure component, volume, certificate
# and for the alerting pipeline itself; each has its own runbook template.
GENERATED_ALERTS = (
    "AlertmanagerNotificationsFailing", "CertificateExpiringSoon", "CpuSaturation", "CronJobNotSucceeding", "FrequentRestarts",
    "HighErrorRate", "HighLatency", "InfrastructureDown", "InstanceDown", "JobFailed", "MemorySaturation",
    "PrometheusRuleFailures", "ScalingAtMaximum", "ServiceDown", "TradingHalted", "VolumeSpaceLow", "Watchdog",
)  # fmt: skip

# The FrequentRestarts unit test holds each simulated restart count this many minutes, and a
# promtool series of ours spans at most 50 samples: so the threshold can be at most 24.
RESTART_PLATEAU = 2
MAX_RESTARTS_PER_HOUR = 50 // RESTART_PLATEAU - 1

# The monitoring stack scrapes these components itself (job name = component name), in this order.
SELF_SCRAPED = ("prometheus", "alertmanager")
