#!/usr/bin/env bash
# Checks the SAM template and the example worker stack without AWS, in seconds:
# sam validate --lint, cfn-lint, checkov (no failed check; each skip is justified
# next to its resource), and tests/template, which transforms the template with
# aws-sam-translator and asserts its wiring. Part of infra/test.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/infra/bootstrap.sh"
tools="$root/.venv/tools/bin"
export SAM_CLI_TELEMETRY=0 AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
templates=(template.yaml infra/examples/worker-stack.yaml infra/examples/member-account-role.yaml)

echo "== sam validate --lint"
"$tools/sam" validate --lint --template-file template.yaml

echo "== cfn-lint"
"$tools/cfn-lint" "${templates[@]}"

echo "== checkov"
# --skip-download: no network here, and the run must not depend on a remote policy set.
checkov_args=(--framework cloudformation --skip-download --quiet --compact)
for template in "${templates[@]}"; do checkov_args+=(-f "$template"); done
"$root/.venv/checkov/bin/checkov" "${checkov_args[@]}"

echo "== template wiring (tests/template)"
"$tools/python" -m unittest discover -s tests/template
