"""Field types of the catalogue: patterns, ranges, quantities and the strict base model.

Every pattern field is a ``_text`` (checked with ``re.fullmatch``); quantities are parsed here and
nowhere else.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


DNS_LABEL = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
ENV_NAME = r"^[A-Z_][A-Z0-9_]*$"
METRIC_NAME = r"^[a-zA-Z_:][a-zA-Z0-9_:]*$"
ALERT_NAME = r"^[A-Z][A-Za-z0-9]*$"
LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
HTTP_PATH = r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$"
DOMAIN = r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
# OCI distribution reference: [registry[:port]/]path[:tag]; a digest is a separate field.
IMAGE_REPO = r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]{1,5})?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
IMAGE_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
DIGEST = r"^sha256:[a-f0-9]{64}$"
COMMIT_SHA = r"^[a-f0-9]{40}$"
CPU = r"^([0-9]+m|[0-9]+(\.[0-9]{1,3})?)$"
MEMORY = r"^[0-9]+(Ki|Mi|Gi|Ti)?$"
STORAGE = r"^[0-9]+(Mi|Gi|Ti)$"
DURATION = r"^[0-9]+(s|m|h|d)$"
SOURCE_PATH = r"^(?!(.*/)?\.\.?(/|$))[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"
LANGUAGE_VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*")
SECRET_PATH = r"^[A-Za-z0-9][A-Za-z0-9_./-]*$"


def _text(pattern: str, what: str, max_length: int = 253, *after: AfterValidator, before: BeforeValidator | None = None,
          min_length: int = 1):
    """A string matching all of ``pattern``; the message says what was expected, not the regex.

    The one way a field is pattern-checked: ``re.fullmatch``, because ``$`` alone also matches
    before a final newline (``"3.11-slim\\n"`` would split a Dockerfile's FROM line). The pattern
    is published in the JSON Schema; ``tests/test_patterns.py`` finds every field there.
    """
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    extra = {"pattern": pattern}
    return Annotated[str, *([before] if before else []), Field(min_length=min_length, max_length=max_length, json_schema_extra=extra),
                     AfterValidator(check), *after]


def _quantity(value: object) -> object:
    """Let ``cpu: 1`` and ``cpu: 0.5`` stand for the strings Kubernetes expects."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    return value


# Quantities are parsed here and nowhere else (checks, monitoring and compose read them).
def cpu_millicores(value: str) -> int:
    """A valid ``Cpu`` quantity in millicores, exactly (at most three decimals): ``250m`` -> 250, ``1.5`` -> 1500."""
    return int(value[:-1]) if value.endswith("m") else int(Decimal(value) * 1000)


def cpu_cores(value: str) -> float:
    """A valid ``Cpu`` quantity in cores: ``250m`` -> 0.25, ``1.5`` -> 1.5."""
    return cpu_millicores(value) / 1000


BINARY_UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "Ti": 1024**4}


def memory_parts(value: str) -> tuple[str, str]:
    """A valid ``Memory`` or ``Storage`` quantity as (digits, binary suffix): ``256Mi`` -> ("256", "Mi")."""
    suffix = next((s for s in BINARY_UNITS if value.endswith(s)), "")
    return value[: len(value) - len(suffix)], suffix


def memory_bytes(value: str) -> int:
    """A valid ``Memory`` or ``Storage`` quantity in bytes: ``256Mi`` -> 268435456."""
    digits, suffix = memory_parts(value)
    return int(digits) * BINARY_UNITS.get(suffix, 1)


def _at_most(limit: float, measure, shown: str) -> AfterValidator:
    """Refuse a (pattern-valid) value whose size exceeds ``limit``; ``shown`` names the limit."""

    def check(value: str) -> str:
        if measure(value) > limit:
            raise ValueError(f"{value!r} is above the supported maximum of {shown}")
        return value

    return AfterValidator(check)


def duration_seconds(value: str) -> int:
    """A valid ``Duration`` in seconds: ``90s`` -> 90, ``5m`` -> 300, ``1d`` -> 86400."""
    return int(value[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[value[-1]]


def _container_path(value: str) -> str:
    """``/tmp/`` -> ``/tmp``; a ``.`` or ``..`` segment or an empty one (``//``) is refused."""
    trimmed = value.rstrip("/") if len(value) > 1 else value
    segments = trimmed.split("/")[1:]
    if any(part in ("", ".", "..") for part in segments):
        raise ValueError(f"{value!r} is not a plain absolute path (no '.', '..' or empty segments)")
    return trimmed


def _cidr(value: str) -> str:
    try:
        ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"{value!r} is not an IPv4 CIDR (octets 0-255, prefix 0-32)") from None
    return value


MAX_CPU_CORES = 1000
MAX_MEMORY = 64 * 1024**4  # 64Ti
MAX_STORAGE = 1024**5  # 1Pi (1024Ti)
MAX_DURATION = 7 * 86400  # 7d
MAX_THRESHOLD = 1e15

Name = _text(DNS_LABEL, "a DNS-1123 label (lower-case letters, digits and '-', starting with a letter)", 63)
EnvName = _text(ENV_NAME, "an environment variable name (A-Z, 0-9 and '_', not starting with a digit)", 128)
MetricName = _text(METRIC_NAME, "a Prometheus metric name", 200)
AlertName = _text(ALERT_NAME, "an alert name in CamelCase", 100)
LabelName = _text(LABEL_NAME, "a Prometheus label name", 100)
HttpPath = _text(HTTP_PATH, "an HTTP path starting with '/'", 200)
Domain = _text(DOMAIN, "a lower-case DNS domain such as 'nexus.example.com'")
ImageRepo = _text(IMAGE_REPO, "an image repository such as 'ghcr.io/org/name'", 255)
ImageTag = _text(IMAGE_TAG, "an image tag (letters, digits, '_', '.', '-'; at most 128)", 128)
Digest = _text(DIGEST, "a digest of the form 'sha256:<64 hex digits>'", 71)
CommitSha = _text(COMMIT_SHA, "a full 40-character commit SHA", 40)
Cpu = _text(CPU, "a CPU quantity such as '250m' or '1.5'", 20, _at_most(MAX_CPU_CORES, lambda v: cpu_cores(v), "1000 cores"),
            before=BeforeValidator(_quantity))
Memory = _text(MEMORY, "a memory quantity such as '256Mi' or '1Gi'", 20, _at_most(MAX_MEMORY, lambda v: memory_bytes(v), "64Ti"),
               before=BeforeValidator(_quantity))
Storage = _text(STORAGE, "a storage size such as '10Gi'", 20, _at_most(MAX_STORAGE, lambda v: memory_bytes(v), "1024Ti"))
Duration = _text(DURATION, "a duration such as '30s', '5m' or '1h'", 20, _at_most(MAX_DURATION, lambda v: duration_seconds(v), "7d"))
SecretPath = _text(SECRET_PATH, "a secret-store path such as 'nexus/exchanges/binance'", 253)
SourcePath = _text(SOURCE_PATH, "a folder inside the repository such as 'services/gateway' (no '.' or '..')", 200)
Cidr = _text(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$", "an IPv4 CIDR such as '10.0.0.0/16'", 18, AfterValidator(_cidr))
ContainerPath = _text(r"^/[A-Za-z0-9._/-]+$", "an absolute path in the container such as '/var/lib/data'", 253,
                      AfterValidator(_container_path))
FilePath = _text(r"^/[A-Za-z0-9._/-]+$", "an absolute file path such as '/etc/alertmanager/secrets/slack'", 253,
                 AfterValidator(_container_path))
HttpsUrl = _text(r"^https://[A-Za-z0-9./_-]+$", "an https URL", 300)
RepositoryUrl = _text(r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9_./-]+$", "an https repository URL such as 'https://github.com/org/repo'", 300)
FileName = _text(r"^[A-Za-z0-9._-]+$", "a file name (letters, digits, '.', '_', '-')", 253)
ApiGroup = _text(r"^[a-z0-9.-]*$", "a Kubernetes API group ('' is the core group)", 253, min_length=0)
SecretProperty = _text(r"^[A-Za-z0-9_.-]+$", "a secret property name (letters, digits, '_', '.', '-')", 253)
Region = _text(r"^[a-z]{2}(-[a-z]+)+-[0-9]$", "a cloud region such as 'eu-west-1'", 50)
RoleArn = _text(r"^arn:aws:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$", "an IAM role ARN such as 'arn:aws:iam::123456789012:role/deploy'", 600)
Channel = _text(r"^#[a-z0-9_-]+$", "a chat channel such as '#alerts'", 80)
ActionName = _text(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+$", "a GitHub Action such as 'actions/checkout'", 200)
Port = Annotated[int, Field(ge=1, le=65535)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Value = Annotated[str, Field(max_length=4096)]


def _no_expression(value: str) -> str:
    if "${{" in value:
        raise ValueError("must not contain '${{': GitHub evaluates it as an expression in the workflows")
    return value


# A shell command the workflows run (passed through `env:`, where GitHub still evaluates `${{ }}`).
Command = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_no_expression)]
Priority = Literal["P1", "P2", "P3"]
Group = Literal["core", "data", "frontend"]


class Strict(BaseModel):
    # allow_inf_nan=False: every float is finite (.nan and .inf would make alerts that never fire)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)
