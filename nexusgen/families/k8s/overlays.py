"""``k8s/overlays/<env>/``: what one cluster environment adds to the base.

An overlay holds only values that differ per environment: namespaces, images, replica
bounds and resources (after ``environments.<env>`` overrides), the environment-specific
configuration, the secret store, Ingress hosts and the NetworkPolicies (they name the
environment's namespaces). Staging and production are rendered by the same code from
their own ``environments`` entry, so they differ only where the catalogue says so.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from nexusgen.plan import Plan, paths
from nexusgen.plan import cluster
from nexusgen.families.k8s import managed, network
from nexusgen.families.k8s.base import labels
from nexusgen.families.k8s.workloads import Workload


def _image(plan: Plan, name: str, env: str) -> tuple[str, str, str]:
    """(base placeholder, repository, tag[@digest]) for kustomize's `images:`."""
    repo = plan.image_repo(name, env)
    return name, repo, plan.image(name, env).removeprefix(f"{repo}:")


def skip_digest(plan: Plan, name: str, env: str) -> str | None:
    """checkov's CKV_K8S_43 (image by digest), skipped only where the catalogue pins no digest, with why."""
    if name in plan.environment(env).digests:
        return None
    # The tag itself is not repeated here (it is in the overlay's kustomization): a new release
    # tag changes that one file per group, not every workload's patch.
    if env == "staging":
        return "CKV_K8S_43=staging follows a branch tag by design (environments.staging.tag)"
    return (
        f"CKV_K8S_43=pinned by the release tag in environments.{env}.tag (never latest); record the pushed "
        f"digest under environments.{env}.digests.{name} to pin the bytes, and this skip goes away"
    )


def config_rename(name: str, checksum: str) -> tuple[str, str]:
    """(ConfigMap, JSON patch giving it a content-hashed name). Kustomize rewrites every reference
    (envFrom), so a new configuration is a new ConfigMap: the old one stays beside it, and pods of
    a rolled-back release start with the configuration they were released with."""
    ops = [{"op": "replace", "path": "/metadata/name", "value": f"{name}-{checksum[:10]}"}]
    return name, json.dumps(ops)


def group(plan: Plan, templates, env: str, group: str, members: list[Workload]) -> dict[PurePosixPath, str]:
    folder = paths.overlay(env) / group
    files: dict[PurePosixPath, str] = {}
    services = [w for w in members if w.component == "service"]
    patches, renames = [], []
    for w in services:
        path = PurePosixPath("patches") / f"{w.name}.yaml"
        patches.append(str(path))
        checksum = cluster.checksum({**w.config, **w.env_config[env]})
        renames.append(config_rename(w.name, checksum))
        files[folder / path] = templates.render(
            "k8s/patch-workload.yaml.j2",
            w=w,
            env=env,
            config=w.env_config[env],
            checksum=checksum,
            resources=plan.resources(w.name, env).model_dump(),
            bounds=plan.replicas(w.name, env) if w.autoscale else None,
            skip_digest=skip_digest(plan, w.name, env),
            secrets=w.env_secrets.get(env, []),
            overrides=plan.overrides(w.name, env),
            identity=cluster.workload_identity(plan, w.name, env),
        )
        if w.env_secret_refs:
            files[folder / f"externalsecret-{w.name}.yaml"] = templates.render(
                "k8s/externalsecret.yaml.j2",
                secret=w.name,
                refs=w.env_secret_refs[env],
                labels=labels(plan, w.name, "service"),
                secret_type=None,
                why=f"{w.name}'s secret references differ per environment (environments.<env>.services.{w.name}.secrets)",
            )
    stores, store_patches = managed.files(plan, templates, env, folder, [w.name for w in members])
    files.update(stores)
    patches += store_patches
    files[folder / "networkpolicies.yaml"] = templates.render(
        "k8s/networkpolicies.yaml.j2", policies=network.policies(plan, env, group)
    )
    ingresses = [
        (w.name, cluster.ingress_host(plan, w.name, env), plan.services[w.name].ingress)
        for w in services
        if plan.services[w.name].ingress
    ]
    if ingresses:
        files[folder / "ingress.yaml"] = templates.render(
            "k8s/ingress.yaml.j2",
            ingresses=ingresses,
            labels={name: labels(plan, name, "service") for name, _, _ in ingresses},
            issuer=(cluster.issuer_annotation(plan), plan.environment(env).tls_issuer),
            ingress_class=plan.catalogue.platform.ingress.class_name,
            websocket_timeout=cluster.WEBSOCKET_TIMEOUT_SECONDS,
            tls_secret=plan.tls_secret,
        )
    store = plan.environment(env).secret_store
    has_secrets = any(w.secret_refs or w.env_secret_refs for w in members) or cluster.pulls_images(plan, group) or (
        group == cluster.MONITORING and cluster.monitoring_secrets(plan)
    )
    if has_secrets:
        files[folder / "externalsecret-store.yaml"] = templates.render(
            "k8s/externalsecret-store.yaml.j2", env=env, store=store
        )
        files.update(managed.secret_store(plan, templates, env, group, folder))
    files[folder / "kustomization.yaml"] = templates.render(
        "k8s/overlay-group.yaml.j2",
        env=env,
        group=group,
        namespace=plan.namespace(group, env),
        files=[
            *cluster.group_resources(env, group),
            *sorted(p.name for p in files if p.parent == folder and p.name != "externalsecret-store.yaml"),
        ],
        images=[_image(plan, w.name, env) for w in services],
        patches=patches,
        renames=renames,
        store=has_secrets,
    )
    return files


def root(plan: Plan, templates, env: str) -> dict[PurePosixPath, str]:
    groups = cluster.groups(plan)
    return {
        paths.overlay(env) / "kustomization.yaml": templates.render("k8s/overlay.yaml.j2", env=env, groups=groups),
        paths.overlay(env) / "namespaces.yaml": templates.render(
            "k8s/namespaces.yaml.j2",
            namespaces=[(g, plan.namespace(g, env)) for g in groups],
            project=plan.project,
        ),
    }
