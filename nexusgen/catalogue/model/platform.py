"""The platform section: what the output targets (README "The platform section" names each upstream fact)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from nexusgen.catalogue.model.fields import Name, Strict, _text


KUBERNETES_MINOR = r"^1\.[0-9]{1,2}$"
SEMVER = r"^[0-9]+\.[0-9]+\.[0-9]+$"
Minor = _text(KUBERNETES_MINOR, "a Kubernetes minor version such as '1.33'", 5)
Version = _text(SEMVER, "a version such as '0.17.0'", 20)
Labels = dict[_text(r"^([a-z0-9.-]+/)?[A-Za-z0-9_.-]+$", "a Kubernetes label key such as 'app.kubernetes.io/name'"),
              _text(r"^[A-Za-z0-9_.-]{0,63}$", "a Kubernetes label value (letters, digits, '_', '.', '-'; at most 63)", 63, min_length=0)]


def minor(value: str) -> int:
    """``1.33`` -> 33."""
    return int(value.split(".")[1])


def semver(value: str) -> tuple[int, int, int]:
    major, minor_, patch = value.split(".")
    return int(major), int(minor_), int(patch)


class KubernetesRange(Strict):
    """The Kubernetes minors the manifests must work on; each is validated (kubernetes-validate ships 1.25-1.37)."""

    min: Minor = "1.34"
    max: Minor = "1.36"

    @model_validator(mode="after")
    def _range(self) -> KubernetesRange:
        if minor(self.min) > minor(self.max):
            raise ValueError(f"min ({self.min}) must not be above max ({self.max})")
        if minor(self.min) < 25 or minor(self.max) > 37:
            raise ValueError("only Kubernetes 1.25 to 1.37 can be validated (kubernetes-validate's schemas)")
        return self


class Pods(Strict):
    """Pods of a cluster add-on: their namespace and labels."""

    namespace: Name
    labels: Labels = Field(min_length=1)


class ExternalSecrets(Strict):
    version: Version = "0.20.4"

    @model_validator(mode="after")
    def _served(self) -> ExternalSecrets:
        if semver(self.version) < (0, 16, 0):
            raise ValueError("external-secrets before 0.16.0 does not serve external-secrets.io/v1 (v0.17.0 stopped serving v1beta1): upgrade it")
        return self


class PrometheusStack(Strict):
    """kube-prometheus-stack (Helm): with its default selectors it picks only objects labelled ``release: <release>``."""

    release: Name = "kube-prometheus-stack"
    namespace: Name | None = None  # None: the environment's monitoring namespace (<project>-<env>-monitoring)
    chart_version: Version = "88.5.3"


class CertManager(Strict):
    issuer_kind: Literal["ClusterIssuer", "Issuer"] = "ClusterIssuer"
    solver: Literal["http01", "dns01"] = "http01"
    namespace: Name = "cert-manager"


class IngressController(Strict):
    """ingress-nginx: its pods reach the exposed services (and HTTP-01 solvers)."""

    class_name: Name = "nginx"
    namespace: Name = "ingress-nginx"
    labels: Labels = Field(default={"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}, min_length=1)


class ImagePulls(Strict):
    """How nodes pull the images: ``node`` (same-cloud registry, node or workload identity) or a pull
    secret synced from the secret store into every namespace that runs the images."""

    mode: Literal["node", "pull_secret"] = "node"
    secret: Name | None = None  # with pull_secret: the catalogue secret holding a .dockerconfigjson

    @model_validator(mode="after")
    def _secret(self) -> ImagePulls:
        if (self.mode == "pull_secret") != (self.secret is not None):
            raise ValueError("mode 'pull_secret' needs 'secret' (a .dockerconfigjson in the secret store), and only it has one")
        return self


class Platform(Strict):
    kubernetes: KubernetesRange = KubernetesRange()
    external_secrets: ExternalSecrets = ExternalSecrets()
    prometheus: PrometheusStack = PrometheusStack()
    cert_manager: CertManager = CertManager()
    ingress: IngressController = IngressController()
    dns: Pods = Pods(namespace="kube-system", labels={"k8s-app": "kube-dns"})
    image_pulls: ImagePulls = ImagePulls()
