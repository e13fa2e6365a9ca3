"""The shell scripts of the release and pull-request jobs, as constants: the release takes the digests
that passed staging and re-tags them (never rebuilds), records what production runs, and the PR
workflow reports which services changed and what the change means. Like ``scripts`` (the deploy
jobs' scripts) they read catalogue facts only from ``env:``."""

from __future__ import annotations


# Release: only a commit whose main run succeeded (built, scanned, pushed, deployed to staging,
# end-to-end tested) is released, with the digests that run pushed: re-tagged, never rebuilt.
PASSED_STAGING = """\
set -euo pipefail
run=$(gh run list --repo "$GITHUB_REPOSITORY" --workflow main.yml --commit "$GITHUB_SHA" --status success \\
  --limit 1 --json databaseId --jq '.[0].databaseId // empty')
if [ -z "$run" ]; then
  echo "::error::commit $GITHUB_SHA has no successful main run (build, staging, end-to-end): it cannot be released"
  exit 1
fi
gh run download "$run" --repo "$GITHUB_REPOSITORY" --name digests --dir "$RUNNER_TEMP"
echo "Promoting the digests of main run $run" >> "$GITHUB_STEP_SUMMARY"
"""

RETAG = """\
set -euo pipefail
while read -r _ _ name image; do
  digest=$(awk -v s="$name" '$1 == s {print $2}' "$DIGESTS")
  if [ -z "$digest" ]; then echo "::error::no digest for $name"; exit 1; fi
  docker buildx imagetools create --tag "$image:$VERSION" "$image@$digest"
  echo "$image:$VERSION = $image@$digest" >> "$GITHUB_STEP_SUMMARY"
done < <(printf '%s' "$WORKLOADS")
"""

# The repository equals production: the release's commit plus the deployed version and digests
# in services.yaml, re-rendered, tagged production/<version> (what a rollback restores) and
# proposed to main as a pull request.
RECORD = """\
set -euo pipefail
nexusgen record-deployment --environment production --tag "$VERSION" --digests "$DIGESTS"
nexusgen render --quiet
branch="production/record-$VERSION"
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git switch --create "$branch"
git add --all services.yaml out .github
git commit --message "Production runs $VERSION: record its digests"
remote="https://x-access-token:$GH_TOKEN@${GITHUB_SERVER_URL#https://}/$GITHUB_REPOSITORY.git"
git push "$remote" "$branch"
git tag "production/$VERSION"
git push "$remote" "production/$VERSION"
gh pr create --repo "$GITHUB_REPOSITORY" --base main --head "$branch" \\
  --title "Production runs $VERSION" \\
  --body "Records the digests deployed by release $VERSION (tag production/$VERSION) so the repository describes production."
"""

VERSION = """\
set -euo pipefail
if [ "$GITHUB_REF_TYPE" != "tag" ]; then
  echo "::error::run the release from a v<semver> tag, not $GITHUB_REF_NAME"
  exit 1
fi
version="${GITHUB_REF_NAME#v}"
if ! [[ "$version" =~ ^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "::error::tag $GITHUB_REF_NAME is not v<semver>"
  exit 1
fi
echo "version=$version" >> "$GITHUB_OUTPUT"
"""

CHANGED_MATRIX = """\
set -euo pipefail
matrix=$(jq -c --argjson changed "$CHANGED" '[.[] | select(.service | IN($changed[]))]' <<< "$SERVICES")
echo "matrix=$matrix" >> "$GITHUB_OUTPUT"
"""

# Issue 17: what the change means, in the job summary and one PR comment kept up to date.
PLAN_DIFF = """\
set -euo pipefail
nexusgen diff --base "$BASE" --format markdown > "$RUNNER_TEMP/diff.md"
cat "$RUNNER_TEMP/diff.md" >> "$GITHUB_STEP_SUMMARY"
"""

PLAN_COMMENT = """\
set -euo pipefail
marker='<!-- nexusgen diff -->'
{ echo "$marker"; cat "$RUNNER_TEMP/diff.md"; } > "$RUNNER_TEMP/comment.md"
comment=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR/comments" --paginate \\
  --jq "[.[] | select(.body | startswith(\\"$marker\\"))][0].id // empty" | head -n 1)
if [ -n "$comment" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$comment" -F "body=@$RUNNER_TEMP/comment.md" >/dev/null
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR/comments" -F "body=@$RUNNER_TEMP/comment.md" >/dev/null
fi
"""
