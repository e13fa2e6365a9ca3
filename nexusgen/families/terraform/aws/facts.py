"""What the environment module holds for every environment (catalogue-wide: secret entries, each
managed store's database facts and users, the secret reads every environment shares) and what
each environment root passes it (``inputs``: only what differs), derived from the catalogue and the plan."""

from __future__ import annotations

import unicodedata

from nexusgen.plan import Plan, datastores
from nexusgen.plan import cloud as c


def registry_repositories(plan: Plan) -> list[str]:
    """One ECR repository per image the pipeline builds (a prebuilt image has none): the image's path
    in the registry (every cloud environment pulls from the same one, Plan.registry)."""
    return sorted({image_path(plan.image_repo(service, env)) for service in plan.built_services for env in plan.catalogue.cloud.environments})


def image_path(repository: str) -> str:
    """``ghcr.io/org/gateway`` -> ``org/gateway``: the repository name without the registry host."""
    host, _, path = repository.partition("/")
    return path if ("." in host or ":" in host or host == "localhost") else repository


def secrets(plan: Plan) -> dict[str, str]:
    """Secret store entries by name (the catalogue's paths, and each service's own data-store user
    that the plan derives, ``Plan.secrets``), with what each holds; never a value."""
    out: dict[str, list[str]] = {}
    for name, secret in plan.secrets.items():
        out.setdefault(secret.path, []).append(f"{secret.property}: {secret.description}")
    # Descriptions are prose: NFC keeps what they say (HCL would normalize them anyway).
    return {path: unicodedata.normalize("NFC", "; ".join(lines)) for path, lines in sorted(out.items())}


def _reads(plan: Plan) -> dict[str, dict[str, tuple[str, ...]]]:
    return {env: c.secret_paths(plan, env) for env in plan.catalogue.cloud.environments}


def shared_reads(plan: Plan) -> dict[str, list[str]]:
    """``{group: entries}`` its namespace reads in every environment that has it; an environment's
    own further entries are its input (``inputs``: secret_readers.<group>.extra_entries)."""
    groups: dict[str, set[str]] = {}
    for reads in _reads(plan).values():
        for group, paths in reads.items():
            groups[group] = groups[group] & set(paths) if group in groups else set(paths)
    return {group: sorted(paths) for group, paths in sorted(groups.items())}


def postgres_stores(plan: Plan) -> dict[str, dict[str, object]]:
    """Per in-cluster store an RDS instance replaces (any environment): the database it serves."""
    out = {}
    for ce in plan.catalogue.cloud.environments.values():
        if ce.postgres is not None:
            infra = plan.infrastructure[ce.postgres.replaces]
            password = plan.secret_ref(infra.secrets[datastores.ADMIN_PASSWORD["postgres"]])
            out[ce.postgres.replaces] = {
                "database": infra.config.get("POSTGRES_DB", plan.project),
                "username": infra.config.get("POSTGRES_USER", plan.project),
                "master_login_path": password.path,
                "master_login_field": password.property,
                "port": infra.port,
            }
    return dict(sorted(out.items()))


def redis_stores(plan: Plan) -> dict[str, dict[str, object]]:
    """Per in-cluster store an ElastiCache group replaces: its port and users by name: ``default``
    with the in-cluster default user's password and rights (what the exporter uses), then each
    service's own user with its ACL (plan.datastores.redis_rules) and its derived secret. The user
    ids (unique in the account and region) are ``<environment>-<name>``, made in the module."""
    out = {}
    for ce in plan.catalogue.cloud.environments.values():
        if ce.redis is not None:
            infra = ce.redis.replaces
            admin = plan.secret_ref(plan.infrastructure[infra].secrets[datastores.ADMIN_PASSWORD["redis"]])
            users = {"default": {"name": "default", "access": "on ~* &* +@all", "entry": admin.path, "property": admin.property}}
            for cred in plan.credentials:
                if cred.store == infra:
                    access = " ".join(["on", *datastores.redis_rules(plan.catalogue, cred)])
                    users[cred.user] = {"name": cred.user, "access": access, "entry": cred.path, "property": cred.property}
            out[infra] = {"port": plan.infrastructure[infra].port, "users": users}
    return dict(sorted(out.items()))


def _reader(plan: Plan, env: str, group: str, extra: list[str]) -> dict[str, object]:
    reader: dict[str, object] = {"role": c.secrets_role(plan.project, env, group), "namespace": plan.namespace(group, env)}
    return {**reader, "extra_entries": extra} if extra else reader  # optional, [] by default


def inputs(plan: Plan, env: str) -> dict[str, object]:
    """The environment module's arguments in ``env``'s root: every fact that differs between environments."""
    ce = plan.catalogue.cloud.environments[env]
    cluster = plan.environment(env).cluster
    account = c.account_id(cluster.deploy_role)
    nets = c.subnets(ce)
    shared = shared_reads(plan)
    out: dict[str, object] = {
        "environment": env,
        "name": f"{plan.project}-{env}",
        "backup_key_alias": f"alias/{c.backup_key(plan.project, env)}",
        "cluster_name": cluster.name,
        "kubernetes_version": ce.kubernetes_version,
        "vpc_cidr": ce.vpc_cidr,
        "zones": list(ce.zones),
        "public_subnets": list(nets.public),
        "private_subnets": list(nets.private),
        "data_subnets": list(nets.data),
        "nodes": {"instance_types": list(ce.nodes.instance_types), "min": ce.nodes.min_size, "max": ce.nodes.max_size, "disk_gb": ce.nodes.disk_gb},
        "artifacts_bucket": c.artifacts_bucket(plan.project, env, account),
        "deploy_role": {"name": c.role_name(cluster.deploy_role), "subject": plan.oidc_subject(env)},
        "secret_readers": {group: _reader(plan, env, group, sorted(set(paths) - set(shared[group]))) for group, paths in c.secret_paths(plan, env).items()},
        "high_availability": ce.high_availability,
    }
    if ce.data_stores != "managed":
        return out
    out["private_zone"] = c.private_zone(plan.project, env)
    if ce.postgres is not None:
        pg = ce.postgres
        out["postgres"] = {
            "replaces": pg.replaces, "identifier": c.database_id(plan.project, env), "host": c.managed_host(plan.project, env, pg.replaces),
            "engine_version": pg.engine_version, "instance_class": pg.instance_class, "storage_gb": pg.storage_gb,
            "backup_retention_days": pg.backup_retention_days,
        }
    if ce.redis is not None:
        rd = ce.redis
        out["redis"] = {
            "replaces": rd.replaces, "identifier": c.cache_id(plan.project, env), "host": c.managed_host(plan.project, env, rd.replaces),
            "engine_version": rd.engine_version, "node_type": rd.node_type, "snapshot_retention_days": rd.snapshot_retention_days,
        }
    if plan.catalogue.cloud.recovery.drill_environment == env and ce.postgres is not None:
        out["restore_drill"] = {
            "role": c.drill_role(plan.project, env),
            "subject": plan.oidc_subject(c.drill_environment(plan.project, env)),
            "namespace": plan.service_namespace(ce.postgres.replaces, env),
            "region": cluster.region,
            "account": account,
            "entries": [c.database_password(plan, env).path, c.secret_ref(plan, plan.catalogue.cloud.recovery.alert_secret)[0]],
        }
    return out
