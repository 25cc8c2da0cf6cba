#!/usr/bin/env bash
# Benchmarks against the local emulators; prints figures (docs/benchmarks.md has the
# recorded ones). Examples:
#   infra/bench.sh publisher                      10, 100 and 1000 targets
#   infra/bench.sh publisher --targets 50
#   infra/bench.sh fleet                          1,000 and 10,000 targets in 1 and 4 shards
#   infra/bench.sh init                           cold starts: to the first Runtime API poll and to the first AWS request (cargo build --release --bins first)
#   infra/bench.sh simulate                       1 and 1000 targets over 30 days
#   infra/bench.sh control                        Sluice, the peers and the clairvoyant limit on the
#                                                 seed workloads and ../shared/traces (docs/control.md):
#                                                 target/control/control.md, summary.md, charts
#   infra/bench.sh control --service-cv 0.5       the same with messages varying in size
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/infra/bootstrap.sh"
export PATH="$root/.venv/tools/bin:$PATH"
export RUST_LOG="${RUST_LOG:-error}"
# The simulator needs no emulator.
if [[ "${1:-}" == "simulate" ]]; then
  exec cargo run --quiet --profile bench -p sluice-tools --bin sluice-bench -- "$@"
fi
if [[ "${1:-}" == "control" ]]; then
  shift
  exec cargo run --quiet --profile bench -p sluicectl -- simulate --workloads --out target/control "$@"
fi
exec "$root/infra/emulators.sh" run cargo run --quiet --profile bench -p sluice-tools --bin sluice-bench -- "${@:-publisher}"
