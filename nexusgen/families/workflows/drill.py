"""The scheduled restore drill (issue 18): restore the managed PostgreSQL's latest restorable time
into a scratch instance, run the catalogue's check query against it, compare the time taken with
the RTO and the restore point's age with the RPO, destroy the scratch instance, alert on failure.

Built as data and dumped by the one YAML writer; values reach the scripts only through ``env:``.
The role it assumes trusts exactly ``repo:<owner>/<repo>:environment:<env>-restore-drill``
(``Plan.oidc_subject``), an environment without reviewers so the schedule is not held.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from nexusgen.engine.text import dump_yaml, trailing_comments
from nexusgen.families.workflows.facts import action_refs
from nexusgen.plan import Plan, image_ref
from nexusgen.plan import cloud as c

NAME = "restore-drill.yml"

RESTORE = """\
echo "started=$(date +%s)" >> "$GITHUB_OUTPUT"
latest=$(aws rds describe-db-instances --db-instance-identifier "$SOURCE_DB" \\
  --query 'DBInstances[0].LatestRestorableTime' --output text)
lag=$(( $(date +%s) - $(date -d "$latest" +%s) ))
echo "Latest restorable time $latest: ${lag}s behind (RPO ${RPO_SECONDS}s)" >> "$GITHUB_STEP_SUMMARY"
if [ "$lag" -gt "$RPO_SECONDS" ]; then
  echo "::error::the latest restorable time is ${lag}s old, over the ${RPO_SECONDS}s RPO"
  exit 1
fi
groups=$(aws rds describe-db-instances --db-instance-identifier "$SOURCE_DB" \\
  --query 'DBInstances[0].VpcSecurityGroups[].VpcSecurityGroupId' --output text)
# shellcheck disable=SC2086 # one argument per security group id
aws rds restore-db-instance-to-point-in-time \\
  --source-db-instance-identifier "$SOURCE_DB" \\
  --target-db-instance-identifier "$SCRATCH_DB" \\
  --use-latest-restorable-time \\
  --db-instance-class "$INSTANCE_CLASS" \\
  --db-subnet-group-name "$SOURCE_DB" \\
  --db-parameter-group-name "$SOURCE_DB" \\
  --vpc-security-group-ids $groups \\
  --no-multi-az --no-publicly-accessible --no-deletion-protection \\
  --tags Key=purpose,Value=restore-drill
aws rds wait db-instance-available --db-instance-identifier "$SCRATCH_DB"
"""

CHECK = """\
aws eks update-kubeconfig --name "$CLUSTER" --region "$AWS_REGION"
host=$(aws rds describe-db-instances --db-instance-identifier "$SCRATCH_DB" \\
  --query 'DBInstances[0].Endpoint.Address' --output text)
# Egress to the data subnets (and DNS) for the drill's pod only; the namespace denies the rest.
printf '%s' "$EGRESS_POLICY" | kubectl -n "$NAMESPACE" apply -f -
pod=$(jq -c --arg host "$host" '.spec.containers[0].env += [{"name": "PGHOST", "value": $host}]' <<< "$POD_OVERRIDES")
# The password goes to the pod on stdin: it is in no pod spec and no log.
aws secretsmanager get-secret-value --secret-id "$LOGIN_STORE_PATH" --query SecretString --output text \\
  | jq -r --arg key "$LOGIN_STORE_FIELD" '.[$key]' \\
  | kubectl -n "$NAMESPACE" run "restore-drill-$GITHUB_RUN_ID" --rm -i --restart=Never --quiet \\
      --image="$CHECK_IMAGE" --labels=app.kubernetes.io/name=restore-drill --overrides="$pod" \\
  | tee check-output.txt
test -s check-output.txt
"""

TIMING = """\
elapsed=$(( $(date +%s) - STARTED ))
echo "Restore and check took ${elapsed}s (RTO ${RTO_SECONDS}s)" >> "$GITHUB_STEP_SUMMARY"
if [ "$elapsed" -gt "$RTO_SECONDS" ]; then
  echo "::error::the restore took ${elapsed}s, over the ${RTO_SECONDS}s RTO"
  exit 1
fi
"""

DESTROY = """\
kubectl -n "$NAMESPACE" delete networkpolicy restore-drill --ignore-not-found || true
if aws rds describe-db-instances --db-instance-identifier "$SCRATCH_DB" > /dev/null 2>&1; then
  aws rds delete-db-instance --db-instance-identifier "$SCRATCH_DB" --skip-final-snapshot --delete-automated-backups
  aws rds wait db-instance-deleted --db-instance-identifier "$SCRATCH_DB"
fi
"""

ALERT = """\
hook=$(aws secretsmanager get-secret-value --secret-id "$HOOK_STORE_PATH" --query SecretString --output text \\
  | jq -r --arg key "$HOOK_STORE_FIELD" '.[$key]')
echo "::add-mask::$hook"
text="Restore drill of $SOURCE_DB failed or exceeded its objectives: $RUN_URL"
jq -n --arg text "$text" '{text: $text}' | curl -fsS -X POST -H 'Content-Type: application/json' --data @- "$hook"
"""


# The check runs as the image's postgres user (UID 70 in the official Alpine images) under the
# namespace's Pod Security "restricted" profile.
CHECK_UID = 70
LABEL = {"app.kubernetes.io/name": "restore-drill"}


def _pod(image: str, port: int, database: str, user: str, query: str) -> dict:
    """``kubectl run --overrides``: the whole pod spec (a JSON merge patch replaces the container list)."""
    script = 'read -r PGPASSWORD && export PGPASSWORD && exec psql -v ON_ERROR_STOP=1 -tA -c "$CHECK_QUERY"'
    env = {"PGPORT": str(port), "PGDATABASE": database, "PGUSER": user, "PGSSLMODE": "require", "CHECK_QUERY": query}
    return {"spec": {
        "securityContext": {"runAsNonRoot": True, "runAsUser": CHECK_UID, "seccompProfile": {"type": "RuntimeDefault"}},
        "automountServiceAccountToken": False,
        "containers": [{
            "name": "check", "image": image, "stdin": True, "stdinOnce": True,
            "command": ["sh", "-c", script],
            "env": [{"name": k, "value": v} for k, v in env.items()],
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        }],
    }}


def _egress(data_cidrs: tuple[str, ...], port: int) -> dict:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "restore-drill", "labels": LABEL},
        "spec": {
            "podSelector": {"matchLabels": LABEL},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": cidr}} for cidr in data_cidrs], "ports": [{"protocol": "TCP", "port": port}]},
                {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                         "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                 "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
            ],
        },
    }


def files(plan: Plan, folder: PurePosixPath) -> dict[PurePosixPath, str]:
    cloud = plan.catalogue.cloud
    if cloud is None:
        return {}
    pins = {ref.ref: ref.comment for ref in action_refs(plan).values() if ref.comment}
    return {folder / NAME: trailing_comments(dump_yaml(built(plan)), pins)}  # `uses: a@sha  # version`


def built(plan: Plan) -> dict:
    """The drill workflow as data, built once per plan (the workflows' findings read it too)."""
    return plan.remember("workflows.drill", lambda: workflow(plan))


def workflow(plan: Plan) -> dict:
    cloud = plan.catalogue.cloud
    recovery, env = cloud.recovery, cloud.recovery.drill_environment
    ce, cluster = cloud.environments[env], plan.environment(env).cluster
    pg_name = ce.postgres.replaces
    pg_infra = plan.infrastructure[pg_name]
    password = c.database_password(plan, env)
    alert = c.secret_ref(plan, recovery.alert_secret)
    account = c.account_id(cluster.deploy_role)
    credentials = action_refs(plan)["aws-actions/configure-aws-credentials"]
    source = c.database_id(plan.project, env)
    database = pg_infra.config.get("POSTGRES_DB", plan.project)
    user = pg_infra.config.get("POSTGRES_USER", plan.project)
    aws = {"AWS_REGION": cluster.region}
    return {
        "name": "restore-drill",
        "on": {"schedule": [{"cron": recovery.drill_schedule}], "workflow_dispatch": {}},
        "permissions": {},
        "concurrency": {"group": "restore-drill", "cancel-in-progress": False},
        "jobs": {
            "drill": {
                "name": f"Restore drill ({env})",
                "runs-on": c.runner_labels(plan.catalogue.cloud, plan.project, env),  # kubectl: the private cluster API
                "environment": c.drill_environment(plan.project, env),
                "timeout-minutes": recovery.rto_full_minutes * 2,
                "permissions": {"contents": "read", "id-token": "write"},
                "env": {
                    **aws,
                    "CLUSTER": cluster.name,
                    "SOURCE_DB": source,
                    "SCRATCH_DB": f"{source}-drill-${{{{ github.run_id }}}}",
                    "INSTANCE_CLASS": ce.postgres.instance_class,
                    "NAMESPACE": plan.service_namespace(pg_name, env),
                    "CHECK_IMAGE": image_ref(pg_infra.image),
                    "CHECK_QUERY": recovery.check_query,
                    "POD_OVERRIDES": json.dumps(_pod(image_ref(pg_infra.image), pg_infra.port, database, user, recovery.check_query), sort_keys=True),
                    "EGRESS_POLICY": json.dumps(_egress(c.subnets(ce).data, pg_infra.port), sort_keys=True),
                    "LOGIN_STORE_PATH": password.path,
                    "LOGIN_STORE_FIELD": password.property,
                    "HOOK_STORE_PATH": alert[0],
                    "HOOK_STORE_FIELD": alert[1],
                    "RPO_SECONDS": str(recovery.rpo_minutes * 60),
                    "RTO_SECONDS": str(recovery.rto_critical_minutes * 60),
                },
                "steps": [
                    {
                        "name": "Assume the restore-drill role (GitHub OIDC)",
                        "uses": credentials.ref,
                        "with": {"role-to-assume": c.role_arn(account, c.drill_role(plan.project, env)), "aws-region": cluster.region},
                    },
                    {"name": "Restore the latest restorable time into a scratch instance", "id": "restore", "run": RESTORE},
                    {"name": "Run the check query against the restored database", "run": CHECK},
                    {"name": "Compare the time taken with the RTO", "env": {"STARTED": "${{ steps.restore.outputs.started }}"}, "run": TIMING},
                    {"name": "Destroy the scratch instance", "if": "always()", "run": DESTROY},
                    {
                        "name": "Alert: the drill failed or was too slow",
                        "if": "failure()",
                        "env": {"RUN_URL": "${{ github.server_url }}/${{ github.repository }}/actions/runs/${{ github.run_id }}"},
                        "run": ALERT,
                    },
                ],
            }
        },
    }
