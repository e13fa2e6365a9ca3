"""Every shell script the deploy jobs run, as constants: they read catalogue facts only from
``env:`` (``WORKLOADS``, ``KILL_SWITCHES``, ``MIGRATIONS``, ``CANARIES``...), never from their text.

Line formats (written by ``facts``): ``WORKLOADS`` and ``CANARIES`` are
``namespace kind name image`` lines; ``KILL_SWITCHES`` are ``namespace kind name port halt-method
halt-path resume-method resume-path metrics-port halted-metric`` lines; ``MIGRATIONS`` and
``CANARY_QUERIES`` are JSON lines; ``$DIGESTS`` is a file of ``service sha256:...`` lines (what
main pushed, and what staging and E2E ran).
"""

from __future__ import annotations

_DIGEST = """\
digest_of() {  # the pushed digest of service $1
  local digest
  digest=$(awk -v s="$1" '$1 == s {print $2}' "$DIGESTS")
  if [ -z "$digest" ]; then echo "::error::no pushed digest for $1 in $DIGESTS" >&2; return 1; fi
  printf '%s' "$digest"
}
"""

# Reaching a pod's own port goes through the Kubernetes API (NetworkPolicies stay closed).
_FORWARD = """\
forward() {  # namespace kind/name port -> prints the local port, leaves the forward running
  local port=$((20000 + RANDOM % 20000))
  kubectl -n "$1" port-forward "$2" "$port:$3" >/dev/null 2>&1 &
  FORWARDS+=("$!")
  for _ in $(seq 30); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then printf '%s' "$port"; return 0; fi
    sleep 1
  done
  echo "::error::cannot reach $2 port $3 in $1" >&2
  return 1
}
FORWARDS=()
trap 'for pid in "${FORWARDS[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
"""

_SWITCH = _FORWARD + """\
switch() {  # namespace kind name port method path metrics-port metric expected
  local local_port value
  local_port=$(forward "$1" "$2/$3" "$4")
  curl --fail --silent --show-error --max-time 10 --retry 3 --retry-all-errors \\
    -X "$5" "http://127.0.0.1:$local_port$6" --output /dev/null
  if [ "$8" != "-" ]; then
    local_port=$(forward "$1" "$2/$3" "$7")
    value=$(curl --fail --silent --show-error --max-time 10 "http://127.0.0.1:$local_port/metrics" \\
      | awk -v m="$8" '$1 == m {print $2}')
    if ! awk -v v="$value" -v want="$9" 'BEGIN {exit !(v != "" && v + 0 == want + 0)}'; then
      echo "::error::$3 reports $8=${value:-nothing}, expected $9"
      return 1
    fi
  fi
}
"""

HALT = "set -euo pipefail\n" + _SWITCH + """\
while read -r namespace kind name port method path _ _ metrics_port metric; do
  if ! kubectl -n "$namespace" get "$kind/$name" >/dev/null 2>&1; then
    echo "$name is not running yet: nothing to halt"
    continue
  fi
  switch "$namespace" "$kind" "$name" "$port" "$method" "$path" "$metrics_port" "$metric" 1
  echo "halted: $name"
done < <(printf '%s' "$KILL_SWITCHES")
"""

RESUME = "set -euo pipefail\n" + _SWITCH + """\
while read -r namespace kind name port _ _ method path metrics_port metric; do
  switch "$namespace" "$kind" "$name" "$port" "$method" "$path" "$metrics_port" "$metric" 0
  echo "resumed: $name"
done < <(printf '%s' "$KILL_SWITCHES")
"""

# The Job runs the new image with the pod template of the running workload (its service account,
# security context, configuration and labels, so its NetworkPolicies apply); a readiness probe that
# never passes keeps it out of the Service's endpoints.
MIGRATION_JOB = """\
{apiVersion: "batch/v1", kind: "Job",
 metadata: {name: $job, namespace: .metadata.namespace,
            labels: ((.metadata.labels // {}) + {"nexus.io/migration-of": $name})},
 spec: {backoffLimit: 0, ttlSecondsAfterFinished: 604800,
        template: {metadata: {labels: (.spec.template.metadata.labels + {"nexus.io/migration-of": $name})},
                   spec: (.spec.template.spec | .restartPolicy = "Never"
                          | .containers = [.containers[] | select(.name == $name)
                                           | .image = $image | .command = $command
                                           | del(.args, .ports, .livenessProbe, .startupProbe)
                                           | .readinessProbe = {exec: {command: ["false"]}, periodSeconds: 3600}])}}}
"""

MIGRATE = "set -euo pipefail\n" + _DIGEST + """\
while read -r row; do
  namespace=$(jq -r .namespace <<< "$row")
  kind=$(jq -r .kind <<< "$row")
  name=$(jq -r .service <<< "$row")
  image=$(jq -r .image <<< "$row")
  command=$(jq -c .command <<< "$row")
  digest=$(digest_of "$name")
  if ! kubectl -n "$namespace" get "$kind/$name" >/dev/null 2>&1; then
    echo "$name is not running yet: its first release creates the schema"
    continue
  fi
  job="$name-migrate-${digest:7:12}"
  kubectl -n "$namespace" get "$kind/$name" -o json \\
    | jq --arg job "$job" --arg name "$name" --arg image "$image@$digest" --argjson command "$command" \\
      "$MIGRATION_JOB" \\
    | kubectl apply -f -
  if ! kubectl -n "$namespace" wait --for=condition=complete "job/$job" --timeout=15m; then
    kubectl -n "$namespace" logs "job/$job" --tail=200 || true
    echo "::error::the migration of $name failed; nothing was rolled out"
    exit 1
  fi
done < <(printf '%s' "$MIGRATIONS")
"""

APPLY = "set -euo pipefail\n" + _DIGEST + """\
while read -r _ _ name image; do
  [ "$image" = - ] && continue  # a prebuilt image: the overlay pins it by digest already
  digest=$(digest_of "$name")
  (cd "$OVERLAY" && kustomize edit set image "$image=$image@$digest")
done < <(printf '%s' "$WORKLOADS")
kubectl apply -k "$OVERLAY"
while read -r namespace kind name _; do
  [ "$kind" = cronjob ] && continue  # a CronJob has no rollout: its next Job runs the new image
  kubectl -n "$namespace" rollout status "$kind/$name" --timeout=10m
done < <(printf '%s' "$WORKLOADS")
"""

CANARY_JQ = """\
.metadata = {name: (.metadata.name + "-canary"), namespace: .metadata.namespace,
             labels: ((.metadata.labels // {}) + {"nexus.io/canary-of": $name})}
| .spec.replicas = 1
| .spec.selector.matchLabels["nexus.io/canary-of"] = $name
| .spec.template.metadata.labels["nexus.io/canary-of"] = $name
| (.spec.template.spec.containers[] | select(.name == $name) | .image) = $image
| del(.status)
"""

# Judged after the soak, from Prometheus: no restart, the canary's 5xx ratio at most
# MAX_ERROR_RATIO, its p99 at most MAX_P99_RATIO times the stable pods' p99.
CANARY = "set -euo pipefail\n" + _DIGEST + _FORWARD + """\
while read -r namespace kind name image; do
  digest=$(digest_of "$name")
  kubectl -n "$namespace" get "$kind/$name" -o json \\
    | jq --arg name "$name" --arg image "$image@$digest" "$CANARY" \\
    | kubectl apply -f -
done < <(printf '%s' "$CANARIES")
while read -r namespace _ name _; do
  kubectl -n "$namespace" rollout status "deployment/$name-canary" --timeout=10m
done < <(printf '%s' "$CANARIES")
sleep "$SOAK_SECONDS"
prometheus=$(forward "$PROMETHEUS_NAMESPACE" "service/$PROMETHEUS_SERVICE" "$PROMETHEUS_PORT")
query() {
  curl --fail --silent --show-error --max-time 30 -G "http://127.0.0.1:$prometheus/api/v1/query" \\
    --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // "NaN"'
}
failed=0
while read -r namespace _ name _; do
  restarts=$(kubectl -n "$namespace" get pods -l "nexus.io/canary-of=$name" -o json \\
    | jq '[.items[].status.containerStatuses[]?.restartCount] | add // 0')
  row=$(grep -F "\\"service\\": \\"$name\\"" <<< "$CANARY_QUERIES")
  errors=$(query "$(jq -r .errors <<< "$row")")
  p99=$(query "$(jq -r .p99 <<< "$row")")
  stable=$(query "$(jq -r .stable_p99 <<< "$row")")
  verdict=$(awk -v r="$restarts" -v e="$errors" -v p="$p99" -v s="$stable" \\
    -v max_e="$MAX_ERROR_RATIO" -v max_p="$MAX_P99_RATIO" 'BEGIN {
      if (r + 0 > 0) { printf "fail: restarted %d times", r; exit }
      if (e == "NaN") { print "warn: no request reached the canary; judged on restarts only"; exit }
      if (e + 0 > max_e + 0) { printf "fail: 5xx ratio %.4f above %s", e, max_e; exit }
      if (p != "NaN" && s != "NaN" && s + 0 > 0 && p / s > max_p + 0) {
        printf "fail: p99 %.3fs is %.2f times the stable pods (%.3fs; at most %s)", p, p / s, s, max_p; exit }
      printf "pass: 5xx ratio %s, p99 %s s (stable %s s)", e, p, s
    }')
  echo "canary of $name: $verdict"
  case "$verdict" in
    fail:*) echo "::error::canary of $name: ${verdict#fail: }"; failed=1 ;;
    warn:*) echo "::warning::canary of $name: ${verdict#warn: }" ;;
  esac
done < <(printf '%s' "$CANARIES")
exit "$failed"
"""

REMOVE_CANARIES = """\
set -euo pipefail
while read -r namespace _ name _; do
  kubectl -n "$namespace" delete deployment "$name-canary" --ignore-not-found
done < <(printf '%s' "$CANARIES")
"""

SMOKE = """\
set -euo pipefail
while read -r url; do
  curl --fail --silent --show-error --location --max-time 10 \\
    --retry 5 --retry-delay 5 --retry-all-errors --output /dev/null "$url"
  echo "ok: $url"
done < <(printf '%s' "$URLS")
"""

# Whole-release rollback: the overlay the previous release rendered (images by digest, its
# hash-named ConfigMaps, NetworkPolicies and rules), from its production/v* tag.
PREVIOUS = """\
set -euo pipefail
previous=$(git tag --list 'production/v*' --sort=-v:refname | grep -vxF "production/$VERSION" | head -n 1 || true)
if [ -z "$previous" ]; then
  echo "::error::no earlier production release (tag production/v*) to roll back to"
  exit 1
fi
git worktree add --detach "$RUNNER_TEMP/previous" "$previous"
echo "overlay=$RUNNER_TEMP/previous/$OVERLAY" >> "$GITHUB_OUTPUT"
echo "Rolling back to $previous" >> "$GITHUB_STEP_SUMMARY"
"""

ROLLBACK = """\
set -euo pipefail
while read -r namespace _ name _; do
  kubectl -n "$namespace" delete deployment "$name-canary" --ignore-not-found
done < <(printf '%s' "$CANARIES")
kubectl apply -k "$PREVIOUS_OVERLAY"
while read -r namespace kind name _; do
  [ "$kind" = cronjob ] && continue  # a CronJob has no rollout: its next Job runs the new image
  kubectl -n "$namespace" rollout status "$kind/$name" --timeout=10m
done < <(printf '%s' "$WORKLOADS")
"""

KUBECONFIG = 'aws eks update-kubeconfig --name "$CLUSTER" --region "$REGION"'
CHANGE_WINDOW = """\
set -euo pipefail
ref=$(gh api "repos/$GITHUB_REPOSITORY/git/ref/tags/$GITHUB_REF_NAME")
TAG_MESSAGE=""
if [ "$(jq -r .object.type <<< "$ref")" = tag ]; then
  TAG_MESSAGE=$(gh api "repos/$GITHUB_REPOSITORY/git/tags/$(jq -r .object.sha <<< "$ref")" --jq .message)
fi
export TAG_MESSAGE
python3 .github/scripts/change_window.py
"""
E2E_INSTALL = "npm ci\nnpx playwright install --with-deps chromium\n"
PLAYWRIGHT = "npx playwright test"
