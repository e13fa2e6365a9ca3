"""``k8s/overlays/<env>/``: what one cluster environment adds to the base.

An overlay holds only values that differ per environment: namespaces, images, replica
bounds and resources (after ``environments.<env>`` overrides), the environment-specific
configuration, the secret store, Ingress hosts and the NetworkPolicies (they name the
environment's namespaces). Staging and production are rendered by the same code from
their own ``environments`` entry, so they differ only where the catalogue says so.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.plan import Plan, paths
from nexusgen.plan import cluster
from nexusgen.families.k8s import network
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
    if env == "staging":
        return f"CKV_K8S_43=staging follows the {plan.environment(env).tag!r} branch tag by design (environments.staging.tag)"
    return (
        f"CKV_K8S_43=pinned by the release tag {plan.environment(env).tag!r} (never latest); record the pushed "
        f"digest under environments.{env}.digests.{name} to pin the bytes, and this skip goes away"
    )


def group(plan: Plan, templates, env: str, group: str, members: list[Workload]) -> dict[PurePosixPath, str]:
    folder = paths.overlay(env) / group
    files: dict[PurePosixPath, str] = {}
    services = [w for w in members if w.component == "service"]
    patches = []
    for w in services:
        path = PurePosixPath("patches") / f"{w.name}.yaml"
        patches.append(str(path))
        files[folder / path] = templates.render(
            "k8s/patch-workload.yaml.j2",
            w=w,
            env=env,
            config=w.env_config[env],
            checksum=cluster.checksum({**w.config, **w.env_config[env]}),
            resources=plan.resources(w.name, env).model_dump(),
            bounds=plan.replicas(w.name, env) if w.autoscale else None,
            skip_digest=skip_digest(plan, w.name, env),
        )
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
    has_secrets = any(w.secret_refs for w in members) or cluster.pulls_images(plan, group) or (
        group == cluster.MONITORING and cluster.monitoring_secrets(plan)
    )
    if has_secrets:
        files[folder / "externalsecret-store.yaml"] = templates.render(
            "k8s/externalsecret-store.yaml.j2", env=env, store=store
        )
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
