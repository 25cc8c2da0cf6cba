#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the project-local tooling, checks the
# templates (infra/check-templates.sh), starts the emulators on free loopback ports,
# runs the unit, end-to-end and CLI tests, and stops the emulators (also on failure
# or Ctrl-C).
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

# Seconds, and independent of the build: first, so a template mistake shows at once.
"$root/infra/check-templates.sh"

echo "== cargo test (unit + end-to-end against moto and LocalStack)"
"$root/infra/emulators.sh" run cargo test "${locked[@]}" --workspace --all-targets "$@"
