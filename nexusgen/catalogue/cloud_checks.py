"""Cross-field rules of the ``cloud`` section (Terraform, issue 18): each cloud environment against its
cluster, the infrastructure its managed stores replace, and the restore drill."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from nexusgen.catalogue.datastores import ADMIN_PASSWORD
from nexusgen.catalogue.findings import Finding, choices
from nexusgen.catalogue.model import Catalogue


def cloud(cat: Catalogue) -> Iterator[Finding]:
    cloud = cat.cloud
    if cloud is None:
        return
    for env, ce in cloud.environments.items():
        at = ("cloud", "environments", env)
        cluster = getattr(cat.environments, env).cluster
        if cluster is None:
            yield at, f"needs environments.{env}.cluster (its name, region and deploy role)"
            continue
        if cluster.provider != "aws":
            yield ("environments", env, "cluster", "provider"), (
                f"{cluster.provider!r}: the cloud section (Terraform) builds AWS only; drop 'cloud' or use an AWS cluster"
            )
            continue
        vpc = ipaddress.ip_network(ce.vpc_cidr, strict=False)
        if not 16 <= vpc.prefixlen <= 24:
            yield (*at, "vpc_cidr"), "must be a /16 to /24 network: it is cut into 16 equal subnets"
        for index, cidr in enumerate(cluster.api_server_cidrs):
            if not ipaddress.ip_network(cidr, strict=False).subnet_of(vpc):
                yield (*at, "vpc_cidr"), f"does not contain environments.{env}.cluster.api_server_cidrs[{index}] {cidr}"
        for index, zone in enumerate(ce.zones):
            if zone[:-1] != cluster.region:
                yield (*at, "zones", index), f"{zone!r} is not in the cluster's region {cluster.region!r}"
        if ce.backup_region == cluster.region:
            yield (*at, "backup_region"), "must differ from the cluster's region (backups are copied across regions)"
        for kind in ("postgres", "redis"):
            store = getattr(ce, kind)
            if store is not None and store.replaces not in cat.infrastructure:
                yield (*at, kind, "replaces"), f"unknown infrastructure {store.replaces!r}{choices(cat.infrastructure)}"
            elif kind == "postgres" and store is not None and ADMIN_PASSWORD["postgres"] not in cat.infrastructure[store.replaces].secrets:
                yield (*at, kind, "replaces"), f"{store.replaces!r} has no {ADMIN_PASSWORD['postgres']} secret to use as the master password"
            elif kind == "postgres" and store is not None:
                # RDS: the master user name and the database name start with a letter, then letters, digits, '_'.
                for var, value in cat.infrastructure[store.replaces].config.items():
                    if var in ("POSTGRES_USER", "POSTGRES_DB") and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,62}", value):
                        yield ("infrastructure", store.replaces, "config", var), (
                            f"{value!r}: RDS needs a letter, then letters, digits or '_' (at most 63)"
                        )
        if ce.data_stores == "managed" and ce.postgres is None and ce.redis is None:
            yield (*at, "data_stores"), "managed data stores need 'postgres', 'redis' or both"
        if ce.data_stores != "managed" and (ce.postgres or ce.redis):
            yield (*at, "data_stores"), "'postgres' and 'redis' are used only with data_stores: managed"
        store = getattr(cat.environments, env).secret_store
        if store is not None and store.kind != "SecretStore":
            yield ("environments", env, "secret_store", "kind"), (
                "must be 'SecretStore' in a cloud environment: each namespace reads its own secrets through its own role"
            )
        if getattr(cat.environments, env).registry is not None:
            yield ("environments", env, "registry"), (
                "a cloud environment pulls from the cloud's registry (ECR in cloud.state.account_id); remove it"
            )
    if cat.platform.image_pulls.mode != "node":
        # ECR pulls authenticate with the node role; an ECR docker login expires after 12 hours.
        yield ("platform", "image_pulls", "mode"), "must be 'node' with a cloud section: nodes pull from ECR with their own role"
    recovery = cloud.recovery
    if recovery.alert_secret not in cat.secrets:
        yield ("cloud", "recovery", "alert_secret"), f"unknown secret {recovery.alert_secret!r}{choices(cat.secrets)}"
    if recovery.rto_critical_minutes > recovery.rto_full_minutes:
        yield ("cloud", "recovery", "rto_critical_minutes"), "must not exceed rto_full_minutes"
    drill = cloud.environments.get(recovery.drill_environment)
    if drill is None or drill.data_stores != "managed" or drill.postgres is None:
        yield ("cloud", "recovery", "drill_environment"), "must be a cloud environment with a managed 'postgres'"


def workload_identities(cat: Catalogue) -> Iterator[Finding]:
    """Each cluster's workload identities name services of the catalogue."""
    for env in ("staging", "production"):
        cluster = getattr(cat.environments, env).cluster
        for name in cluster.workload_identities if cluster else ():
            if name not in cat.services:
                yield ("environments", env, "cluster", "workload_identities", name), f"unknown service {name!r}{choices(cat.services)}"


RULES = [cloud, workload_identities]
