#!/usr/bin/env bash
# The work of action.yml, in the config repository (the step's working
# directory): validate; plan (Markdown for people, the plan file for apply);
# on a pull request post the plan as one comment, found again by a marker
# and updated on every push; on a push to the default branch with
# INPUT_APPLY=true apply exactly the plan just made. Exit status: 0, or the
# plan's (1 error, 3 refused) or apply's failure.
#
# Environment (set by action.yml from its inputs and the event):
#   INPUT_CONFIG, INPUT_APPLY, INPUT_ALLOW_DELEGATION, INPUT_COMMENT,
#   GH_TOKEN, PR_NUMBER, DEFAULT_BRANCH, and the runner's GITHUB_* variables.
set -uo pipefail

config="${INPUT_CONFIG:-dnssync.yaml}"
marker='<!-- dnssync-plan -->'
work="${RUNNER_TEMP:-$(mktemp -d)}/dnssync"
mkdir -p "$work"
output() { echo "$1=$2" >> "${GITHUB_OUTPUT:-/dev/null}"; }
flags=()
if [ "${INPUT_ALLOW_DELEGATION:-false}" = "true" ]; then flags+=(--allow-delegation); fi

echo "::group::dnssync validate"
dnssync validate -c "$config"
rc=$?
echo "::endgroup::"
if [ "$rc" -ne 0 ]; then
  output exitcode 1
  echo "::error::dnssync validate found problems in the zone files or $config"
  exit 1
fi

echo "::group::dnssync plan"
dnssync plan -c "$config" "${flags[@]}" --detailed-exitcode --format markdown --out "$work/plan.json" > "$work/plan.md" 2> "$work/plan.err"
plan_rc=$?
cat "$work/plan.md"
cat "$work/plan.err" >&2
echo "::endgroup::"
output exitcode "$plan_rc"
output changes "$([ "$plan_rc" -eq 2 ] && echo true || echo false)"
output applied false

{
  echo "$marker"
  echo "### dnssync plan for \`${GITHUB_SHA:0:12}\`"
  echo
  case "$plan_rc" in
    0 | 2 | 3) cat "$work/plan.md" ;;
    *) echo '```'; cat "$work/plan.err"; echo '```' ;;
  esac
  if [ "$plan_rc" -eq 3 ]; then
    echo
    echo "**The safety checks refused this plan; it will not be applied as it is.**"
  fi
} > "$work/comment.md"
cat "$work/comment.md" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"

if [ "${GITHUB_EVENT_NAME:-}" = "pull_request" ] && [ "${INPUT_COMMENT:-true}" = "true" ] && [ -n "${PR_NUMBER:-}" ]; then
  comments="repos/$GITHUB_REPOSITORY/issues/$PR_NUMBER/comments"
  id="$(gh api "$comments" --paginate --jq ".[] | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
  if [ -n "$id" ]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$work/comment.md" > /dev/null || exit 1
    echo "Updated the plan comment ($id) on #$PR_NUMBER."
  else
    gh api --method POST "$comments" -F "body=@$work/comment.md" > /dev/null || exit 1
    echo "Posted the plan on #$PR_NUMBER."
  fi
fi

case "$plan_rc" in
  0) exit 0 ;;
  2) ;;
  3) echo "::error::dnssync refused the plan (safety checks); see the plan for the reason and how to lift it"; exit 3 ;;
  *) echo "::error::dnssync plan failed"; exit "$plan_rc" ;;
esac

if [ "${INPUT_APPLY:-false}" != "true" ]; then
  exit 0
fi
if [ "${GITHUB_EVENT_NAME:-}" != "push" ] || [ -z "${DEFAULT_BRANCH:-}" ] || [ "${GITHUB_REF_NAME:-}" != "$DEFAULT_BRANCH" ]; then
  echo "apply: only on a push to the default branch ($DEFAULT_BRANCH); this is ${GITHUB_EVENT_NAME:-?} on ${GITHUB_REF_NAME:-?}: planned only"
  exit 0
fi
echo "::group::dnssync apply"
# The plan file is the plan just shown: applying it needs no prompt, and it
# is refused if live state moved in between.
dnssync apply -c "$config" "$work/plan.json"
rc=$?
echo "::endgroup::"
if [ "$rc" -eq 0 ]; then output applied true; fi
exit "$rc"
