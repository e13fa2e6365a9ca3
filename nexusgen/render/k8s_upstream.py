"""What third-party images need beyond the catalogue to run hardened (non-root, read-only root).

Keyed by the last segment of the image repository. An image not listed here runs with the
catalogue's settings only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nexusgen.model import Infrastructure


@dataclass(frozen=True)
class Needs:
    writable: tuple[str, ...] = ()  # paths besides /tmp and the data volume
    env: dict[str, str] = field(default_factory=dict)
    note: str = ""


def _postgres(infra: Infrastructure) -> Needs:
    return Needs(
        writable=("/var/run/postgresql",),
        env={"PGDATA": f"{infra.storage}/pgdata"} if infra.storage else {},
        note=(
            "postgres: the image's own user is UID 70; its entrypoint also runs under any UID "
            "(nss_wrapper). fsGroup makes the volume writable; PGDATA is a subdirectory because "
            "the volume root (lost+found) is not owned by that UID."
        ),
    )


def _redis(infra: Infrastructure) -> Needs:
    return Needs(note="redis: the image's own user is UID 999; it runs under any UID once fsGroup makes /data writable.")


_MAIN = {"postgres": _postgres, "redis": _redis}


def main_needs(infra: Infrastructure) -> Needs:
    maker = _MAIN.get(infra.image.image.rsplit("/", 1)[-1])
    return maker(infra) if maker else Needs()


def exporter_env(infra: Infrastructure, secret_name: str) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """(plain values, [(variable, Secret, key)]) that point a sidecar exporter at its component on localhost."""
    exporter = infra.exporter.image.image.rsplit("/", 1)[-1]
    if exporter == "postgres-exporter":
        database = infra.config.get("POSTGRES_DB", infra.config.get("POSTGRES_USER", "postgres"))
        values = {"DATA_SOURCE_URI": f"localhost:{infra.port}/{database}?sslmode=disable"}
        if "POSTGRES_USER" in infra.config:
            values["DATA_SOURCE_USER"] = infra.config["POSTGRES_USER"]
        secrets = [("DATA_SOURCE_PASS", secret_name, "POSTGRES_PASSWORD")] if "POSTGRES_PASSWORD" in infra.secrets else []
        return values, secrets
    if exporter == "redis_exporter":
        return {"REDIS_ADDR": f"redis://localhost:{infra.port}"}, []
    return {}, []
