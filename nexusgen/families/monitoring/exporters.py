"""Infrastructure dashboard panels for the well-known components, by image name.

Metric names come from each exporter's documentation (postgres_exporter, redis_exporter,
RabbitMQ's built-in prometheus plugin). A panel is (title, unit, PromQL with ``{sel}`` for
the job matcher, legend). A component of another image gets the generic health and resource
panels only. (Whether a component is up is the catalogue's ``exporter.up_metric``.)
"""

from __future__ import annotations

Panel = tuple[str, str, str, str]

KNOWN: dict[str, tuple[Panel, ...]] = {
    "postgres": (
        ("Connections in use", "percentunit",
         "sum(pg_stat_activity_count{sel}) / max(pg_settings_max_connections{sel})", "in use"),
        ("Transactions", "ops",
         "sum by (datname) (rate(pg_stat_database_xact_commit{sel}[5m]) + rate(pg_stat_database_xact_rollback{sel}[5m]))",
         "{{datname}}"),
        ("Database size", "bytes", "sum by (datname) (pg_database_size_bytes{sel})", "{{datname}}"),
        ("Deadlocks", "short", "sum by (datname) (increase(pg_stat_database_deadlocks{sel}[1h]))", "{{datname}}"),
    ),
    "redis": (
        ("Cache hit rate", "percentunit",
         "sum(rate(redis_keyspace_hits_total{sel}[5m])) / (sum(rate(redis_keyspace_hits_total{sel}[5m]))"
         " + sum(rate(redis_keyspace_misses_total{sel}[5m])))", "hit rate"),
        ("Memory used", "bytes", "sum(redis_memory_used_bytes{sel})", "used"),
        ("Connected clients", "short", "sum(redis_connected_clients{sel})", "clients"),
        ("Commands", "ops", "sum(rate(redis_commands_processed_total{sel}[5m]))", "commands"),
    ),
    "rabbitmq": (
        ("Queue depth (ready)", "short", "sum(rabbitmq_queue_messages_ready{sel})", "ready"),
        ("Unacknowledged messages", "short", "sum(rabbitmq_queue_messages_unacked{sel})", "unacked"),
        ("Publish / deliver rate", "ops", "sum(rate(rabbitmq_global_messages_received_total{sel}[5m]))", "received"),
    ),
}  # fmt: skip


def exporter_panels(image: str) -> tuple[Panel, ...]:
    return KNOWN.get(image.rsplit("/", 1)[-1], ())
