#!/usr/bin/env bash
# Local AWS on loopback: moto server (SQS, ECS, DynamoDB, Application Auto Scaling, SNS)
# and LocalStack in host mode (CloudWatch: the Rust SDK speaks CBOR, which moto does not).
#
#   infra/emulators.sh start   start both on free ports, wait until ready, write .emulators/env
#   infra/emulators.sh stop    stop what `start` started
#   infra/emulators.sh run CMD...
#                              start a private pair, run CMD with the endpoint variables
#                              exported, stop them (also on failure and Ctrl-C); exits with
#                              CMD's status. Runs never disturb each other or `start`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.emulators"
venvs="$root/.venv"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # name, url, grep pattern, log
  local name=$1 url=$2 pattern=$3 log=$4
  for _ in $(seq 1 240); do
    if curl -fsS --max-time 2 "$url" 2>/dev/null | grep -q "$pattern"; then
      return 0
    fi
    sleep 0.5
  done
  echo "emulators: $name did not become ready at $url; last lines of $log:" >&2
  tail -n 30 "$log" >&2 || true
  return 1
}

start() {
  "$root/infra/bootstrap.sh"
  stop_quietly
  mkdir -p "$state"
  local moto_port localstack_port
  moto_port=$(free_port)
  localstack_port=$(free_port)

  # moto's request recorder (tests count calls with it) writes into this run's own
  # directory, never into the working tree. It exists from the start: moto answers 500
  # to a download before the first recorded request has created it.
  : > "$state/moto_recording"
  MOTO_RECORDER_FILEPATH="$state/moto_recording" \
    setsid "$venvs/tools/bin/python" "$root/infra/moto_server.py" -H 127.0.0.1 -p "$moto_port" \
    > "$state/moto.log" 2>&1 < /dev/null &
  echo $! > "$state/moto.pid"

  # LocalStack keeps state under its volume dir and $TMPDIR/localstack, which it
  # clears on start: both private to this run, or a second LocalStack on the machine
  # (CI beside a developer's) would delete the first one's CloudWatch database.
  mkdir -p "$state/localstack-tmp"
  TMPDIR="$state/localstack-tmp" \
    GATEWAY_LISTEN="127.0.0.1:$localstack_port" SERVICES=cloudwatch DISABLE_EVENTS=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 LOCALSTACK_VOLUME_DIR="$state/localstack-volume" \
    DNS_ADDRESS=0 \
    setsid "$venvs/localstack/bin/python" -m localstack.runtime.main \
    > "$state/localstack.log" 2>&1 < /dev/null &
  echo $! > "$state/localstack.pid"

  cat > "$state/env" <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_CLOUDWATCH=http://127.0.0.1:$localstack_port
export AWS_REGION=\${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=\${AWS_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=\${AWS_ACCESS_KEY_ID:-testing}
export AWS_SECRET_ACCESS_KEY=\${AWS_SECRET_ACCESS_KEY:-testing}
export SLUICE_EMULATORS=1
ENV
  wait_for moto "http://127.0.0.1:$moto_port/moto-api/data.json" '{' "$state/moto.log"
  wait_for localstack "http://127.0.0.1:$localstack_port/_localstack/health" '"cloudwatch": "\(available\|running\)"' "$state/localstack.log"
  echo "emulators: moto on :$moto_port, LocalStack (CloudWatch) on :$localstack_port; source $state/env" >&2
}

stop_quietly() {
  local name pid
  for name in moto localstack; do
    if [[ -f "$state/$name.pid" ]]; then
      pid=$(cat "$state/$name.pid")
      # setsid made each one a process group leader: end the group, children included.
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$state/$name.pid"
    fi
  done
  rm -rf "$state/localstack-volume" "$state/localstack-tmp"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly ;;
  run)
    shift
    [[ $# -gt 0 ]] || { echo "usage: $0 run CMD..." >&2; exit 2; }
    state=$(mktemp -d "${TMPDIR:-/tmp}/sluice-emulators.XXXXXX")
    trap 'stop_quietly; rm -rf "$state"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start
    # shellcheck source=/dev/null
    source "$state/env"
    set +e
    "$@"
    status=$?
    set -e
    exit "$status"
    ;;
  *) echo "usage: $0 start|stop|run CMD..." >&2; exit 2 ;;
esac
