#!/usr/bin/env bash
# Creates the project-local Python tooling: idempotent, re-run only when the pins change.
#   .venv/tools       moto server (SQS, ECS, DynamoDB, AAS, SNS), cargo-lambda, aws-sam-cli
#   .venv/localstack  LocalStack host mode, CloudWatch only (its pins clash with moto's and sam's)
#   .venv/checkov     checkov, the template policy scanner (its pins clash with sam's)
# Pins and why: ../shared/notes/emulators.md and docs/emulators.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venvs="$root/.venv"

tools_pins=("moto[server]==5.2.5" "cargo-lambda==1.9.2" "aws-sam-cli==1.170.0")
checkov_pins=("checkov==3.3.30")
localstack_pins=("localstack-core[runtime]==4.13.1" "cbor2<6" "pyopenssl==24.2.1" "cryptography<44" "service_identity")

make_venv() { # name, pins...
  local name=$1; shift
  local dir="$venvs/$name" stamp
  stamp=$(printf '%s\n' "$@" | sha256sum | cut -c1-16)
  if [[ -f "$dir/.sluice-stamp" && $(cat "$dir/.sluice-stamp") == "$stamp" ]]; then
    return 0
  fi
  echo "bootstrap: creating $dir ($*)" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  echo "$stamp" > "$dir/.sluice-stamp"
}

make_venv tools "${tools_pins[@]}" &
tools_pid=$!
make_venv localstack "${localstack_pins[@]}" &
localstack_pid=$!
make_venv checkov "${checkov_pins[@]}" &
checkov_pid=$!
wait "$tools_pid"
wait "$localstack_pid"
wait "$checkov_pid"
