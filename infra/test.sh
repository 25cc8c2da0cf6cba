#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the project-local tooling, starts the
# emulators on free loopback ports, runs the unit, end-to-end and CLI tests, lints the
# SAM template, and stops the emulators (also on failure or Ctrl-C).
# Extra arguments go to `cargo test`, e.g. `infra/test.sh -p sluice-core`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/infra/bootstrap.sh"
export PATH="$root/.venv/tools/bin:$PATH"
# Logs of the functions under test stay readable; RUST_LOG=debug for more.
export SAM_CLI_TELEMETRY=0
export RUST_LOG="${RUST_LOG:-warn}"

locked=()
[[ -n "${CI:-}" ]] && locked=(--locked)

echo "== cargo test (unit + end-to-end against moto and LocalStack)"
"$root/infra/emulators.sh" run cargo test "${locked[@]}" --workspace --all-targets "$@"

echo "== sam validate --lint"
AWS_REGION=us-east-1 sam validate --lint --template-file "$root/template.yaml"
