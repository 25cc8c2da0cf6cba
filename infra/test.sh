#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the project-local tooling, checks the
# templates (infra/check-templates.sh), starts the emulators on free loopback ports,
# checks formatting and clippy (warnings are errors), runs the unit, end-to-end and
# CLI tests, stops the emulators (also on failure or Ctrl-C), and fails if the tests
# changed the working tree.
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
if [[ -n "${CI:-}" ]]; then
  locked=(--locked)
  # A CI build is built once: an incremental cache would only take disk (gigabytes).
  export CARGO_INCREMENTAL=0
fi
# What the working tree looks like before the tests: they must leave it so.
tree_before=$(git status --porcelain --untracked-files=all 2>/dev/null || true)

# Seconds, and independent of the build: first, so a template mistake shows at once.
"$root/infra/check-templates.sh"

echo "== cargo fmt --check"
cargo fmt --all --check

echo "== cargo clippy (warnings are errors)"
cargo clippy "${locked[@]}" --workspace --all-targets --quiet -- -D warnings

echo "== cargo test (unit + end-to-end against moto and LocalStack)"
"$root/infra/emulators.sh" run cargo test "${locked[@]}" --workspace --all-targets "$@"

# Tests write only into target/ and the emulators' private directories.
echo "== the working tree is as the tests found it"
tree_after=$(git status --porcelain --untracked-files=all 2>/dev/null || true)
if [[ "$tree_before" != "$tree_after" ]]; then
  echo "the tests changed the working tree (build and test output belongs in target/ or .emulators/):" >&2
  diff <(echo "$tree_before") <(echo "$tree_after") >&2 || true
  exit 1
fi
