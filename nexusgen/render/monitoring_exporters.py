"""What the infrastructure exporters expose, until the catalogue can state it (see the report).

Keyed by the component's image repository; metric names from each exporter's documentation
(postgres_exporter, redis_exporter, RabbitMQ's built-in prometheus plugin). ``health`` is 1 when
the component itself answers (not only its exporter); ``panels`` are (title, unit, PromQL with
``{sel}`` for the job matcher, legend) for the Infrastructure dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Exporter:
    health: str
    panels: tuple[tuple[str, str, str, str], ...]


KNOWN: dict[str, Exporter] = {
    "postgres": Exporter(
        health="pg_up",
        panels=(
            ("Connections in use", "percentunit",
             "sum(pg_stat_activity_count{sel}) / max(pg_settings_max_connections{sel})", "in use"),
            ("Transactions", "ops",
             "sum by (datname) (rate(pg_stat_database_xact_commit{sel}[5m]) + rate(pg_stat_database_xact_rollback{sel}[5m]))",
             "{{datname}}"),
            ("Database size", "bytes", "sum by (datname) (pg_database_size_bytes{sel})", "{{datname}}"),
            ("Deadlocks", "short", "sum by (datname) (increase(pg_stat_database_deadlocks{sel}[1h]))", "{{datname}}"),
        ),
    ),
    "redis": Exporter(
        health="redis_up",
        panels=(
            ("Cache hit rate", "percentunit",
             "sum(rate(redis_keyspace_hits_total{sel}[5m])) / (sum(rate(redis_keyspace_hits_total{sel}[5m]))"
             " + sum(rate(redis_keyspace_misses_total{sel}[5m])))", "hit rate"),
            ("Memory used", "bytes", "sum(redis_memory_used_bytes{sel})", "used"),
            ("Connected clients", "short", "sum(redis_connected_clients{sel})", "clients"),
            ("Commands", "ops", "sum(rate(redis_commands_processed_total{sel}[5m]))", "commands"),
        ),
    ),
    "rabbitmq": Exporter(
        health="up",
        panels=(
            ("Queue depth (ready)", "short", "sum(rabbitmq_queue_messages_ready{sel})", "ready"),
            ("Unacknowledged messages", "short", "sum(rabbitmq_queue_messages_unacked{sel})", "unacked"),
            ("Publish / deliver rate", "ops",
             "sum(rate(rabbitmq_global_messages_received_total{sel}[5m]))", "received"),
        ),
    ),
}
GENERIC = Exporter(health="up", panels=())


def exporter(image: str) -> Exporter:
    return KNOWN.get(image.rsplit("/", 1)[-1], GENERIC)
