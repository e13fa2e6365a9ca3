"""The scheduled restore drill (issue 18): restore the managed PostgreSQL's latest restorable time
into a scratch instance, run the catalogue's check query against it, compare the time taken with
the RTO and the restore point's age with the RPO, destroy the scratch instance, alert on failure.

Built as data and dumped by the one YAML writer; values reach the scripts only through ``env:``.
The role it assumes trusts exactly ``repo:<owner>/<repo>:environment:<env>-restore-drill``
(``Plan.oidc_subject``), an environment without reviewers so the schedule is not held.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from nexusgen.engine.text import dump_yaml
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
# The password goes to the pod on stdin: it is in no pod spec and no log.
# shellcheck disable=SC2016 # expanded by the pod's shell, not this one
aws secretsmanager get-secret-value --secret-id "$LOGIN_STORE_PATH" --query SecretString --output text \\
  | jq -r --arg key "$LOGIN_STORE_FIELD" '.[$key]' \\
  | kubectl -n "$NAMESPACE" run "restore-drill-$GITHUB_RUN_ID" --rm -i --restart=Never --quiet \\
      --image="$CHECK_IMAGE" --labels=app.kubernetes.io/name=restore-drill \\
      --env="PGHOST=$host" --env="PGPORT=$PORT" --env="PGDATABASE=$DATABASE" --env="PGUSER=$USERNAME" \\
      --env=PGSSLMODE=require --env="CHECK_QUERY=$CHECK_QUERY" \\
      --command -- sh -c 'read -r PGPASSWORD && export PGPASSWORD && psql -v ON_ERROR_STOP=1 -tA -c "$CHECK_QUERY"' \\
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


def files(plan: Plan, folder: PurePosixPath) -> dict[PurePosixPath, str]:
    cloud = plan.catalogue.cloud
    if cloud is None:
        return {}
    return {folder / NAME: dump_yaml(workflow(plan))}


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
    aws = {"AWS_REGION": cluster.region}
    return {
        "name": "restore-drill",
        "on": {"schedule": [{"cron": recovery.drill_schedule}], "workflow_dispatch": {}},
        "permissions": {},
        "concurrency": {"group": "restore-drill", "cancel-in-progress": False},
        "jobs": {
            "drill": {
                "name": f"Restore drill ({env})",
                "runs-on": "ubuntu-24.04",
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
                    "DATABASE": pg_infra.config.get("POSTGRES_DB", plan.project),
                    "USERNAME": pg_infra.config.get("POSTGRES_USER", plan.project),
                    "PORT": str(pg_infra.port),
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
