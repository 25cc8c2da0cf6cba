#!/usr/bin/env bash
# The demo: on a fresh machine, installs what it needs, starts the local AWS emulators,
# seeds the example scenario, runs each Sluice function as a user would, and prints
# what each one decided and did, read back from the emulators.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [[ "${1:-}" != "--inside" ]]; then
  "$root/infra/bootstrap.sh"
  exec "$root/infra/emulators.sh" run "$root/infra/demo.sh" --inside
fi

export PATH="$root/.venv/tools/bin:$PATH"
export RUST_LOG="${RUST_LOG:-warn}"
export SLUICE_TABLE=sluice-demo
export SLUICE_NAMESPACE=Sluice
config=infra/examples/sluice.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"; [[ -n "${watch_pid:-}" ]] && kill "$watch_pid" 2>/dev/null; true' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Building sluicectl, the functions and the demo helper"
cargo build --quiet --bins

step "Seeding the scenario of $config in the emulators"
target/debug/sluice-demo seed --table "$SLUICE_TABLE" -f "$config"

step "sluicectl validate -f $config"
target/debug/sluicectl validate -f "$config"
step "sluicectl apply -f $config (the table, then each target's scalable target and policies)"
target/debug/sluicectl apply -f "$config"
step "sluicectl status: the policies as Application Auto Scaling holds them (read back from moto)"
target/debug/sluicectl status
step "team-translate lives in another account: its scalable target is there, read through its role"
member_role=arn:aws:iam::111122223333:role/sluice-member
target/debug/sluice-demo service --cluster translate-cluster --service translate-workers --role "$member_role"

step "cargo lambda watch (the functions, built and run as Lambda runs them)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env_args=()
# One look per scheduled watcher invocation keeps the demo quick (production polls for 50 s).
export SLUICE_POLL_WINDOW_SECONDS=0
for name in AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDWATCH AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY SLUICE_TABLE SLUICE_NAMESPACE SLUICE_POLL_WINDOW_SECONDS RUST_LOG; do
  env_args+=(--env-var "$name=${!name}")
done
cargo lambda watch --quiet --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$port" "${env_args[@]}" \
  > "$work/watch.log" 2>&1 &
watch_pid=$!

invoke() { # function fixture
  local output
  for _ in $(seq 1 600); do
    if output=$(cargo lambda invoke "$1" --data-file "$2" --invoke-address 127.0.0.1 --invoke-port "$port" --output-format json 2>"$work/invoke.err"); then
      printf '%s' "$output"
      return 0
    fi
    grep -qiE 'connect|sending request' "$work/invoke.err" || { cat "$work/invoke.err" >&2; return 1; }
    sleep 1
  done
  echo "timed out waiting for cargo lambda watch; its log:" >&2
  tail -n 40 "$work/watch.log" >&2
  return 1
}

step "cargo lambda invoke metric-publisher --data-file events/metric-publisher/scheduled.json"
invoke metric-publisher events/metric-publisher/scheduled.json > "$work/publish.json"
target/debug/sluice-demo report-publish < "$work/publish.json"

step "What CloudWatch now holds (sluicectl metrics: read back, not echoed)"
target/debug/sluicectl metrics

watch() { # fixture
  invoke zero-watcher "$1" > "$work/watch.json"
  target/debug/sluice-demo report-watch < "$work/watch.json"
}
demo=target/debug/sluice-demo

step "zero-watcher on schedule: image-workers sleeps at 0 with an empty queue"
watch events/zero-watcher/scheduled.json

step "A job arrives for image-workers; the next look wakes it"
$demo send --queue image-jobs
watch events/zero-watcher/scheduled.json
$demo service --cluster media-cluster --service image-workers

step "sluicectl why image-workers: each function's last decision, its reason and the facts it used"
target/debug/sluicectl why image-workers

step "The worker finishes the job: the idle clock starts"
$demo drain --queue image-jobs
watch events/zero-watcher/scheduled.json
echo "(waiting out image-workers' idle_minutes: 1)"
sleep 61

step "Idle for a whole minute: back to sleep"
watch events/zero-watcher/scheduled.json
$demo service --cluster media-cluster --service image-workers

step "sluicectl plan: the floors gold-inference's profile gives on Monday 30 November (month end)"
target/debug/sluicectl plan --target gold-inference --from 2026-11-30T00:00:00Z --hours 24

step "prescaler, what-if Monday 30 November 07:55 Berlin, applied (events/prescaler/what-if-apply.json)"
invoke prescaler events/prescaler/what-if-apply.json > "$work/prescale.json"
$demo report-prescale < "$work/prescale.json"
$demo service --cluster gaming-system-cluster --service gold-tier-inference
echo "(in AWS, Application Auto Scaling then raises desiredCount to the new MinCapacity; moto only records it)"

step "prescaler, what-if Tuesday 1 December 19:00 Berlin: no window, the floor goes back"
echo '{"at": "2026-12-01T19:00:00+01:00", "apply": true}' > "$work/after.json"
invoke prescaler "$work/after.json" > "$work/prescale.json"
$demo report-prescale < "$work/prescale.json"
$demo service --cluster gaming-system-cluster --service gold-tier-inference

step "sluicectl simulate: the gold tier's surge, the load model against the loop before it"
target/debug/sluicectl simulate --scenario infra/examples/gpu-inference/scenario.yaml \
  --compare infra/examples/gpu-inference/before-scenario.yaml --out "$work/simulate"
echo "(the chart and the minute-by-minute series: the README shows the same run; docs/control.md the peers)"

printf '\nDone. The emulators stop now; nothing is left running.\n'
