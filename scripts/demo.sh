#!/usr/bin/env bash
# The demo: a local Kafka broker, the alerting service, and the pipeline on real footage.
# Ctrl-C stops everything cleanly. Logs are kept under var/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD"
PY=.venv/bin/python
STATE=var/demo
mkdir -p "$STATE"
say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

port=9092
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  port=$($PY -c 'from streams.broker import free_port; print(free_port())')
  say "port 9092 is taken; using $port for the demo broker"
fi
pids=()
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  $PY -m streams.broker stop --dir "$STATE/broker" >/dev/null 2>&1 || true
  say "stopped; logs in $STATE/"
}
trap cleanup EXIT
trap "exit 0" INT TERM

say "starting Apache Kafka (KRaft) on 127.0.0.1:$port"
$PY -m streams.broker start --dir "$STATE/broker" --port "$port" --fresh 2>"$STATE/broker-cli.log" | sed 's/^/[kafka] /'
export HALLWATCH_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"

export HALLWATCH_DATABASE_URL="sqlite:///$STATE/alerts.db"
rm -f "$STATE/alerts.db"*
password=$($PY -c 'import secrets; print(secrets.token_urlsafe(12))')
echo "$password" | $PY -m alerts.users add demo --role admin --region ziyang --name 演示管理员 >/dev/null
say "starting the alerting service and console on http://127.0.0.1:8080 (log: $STATE/alerts.log)"
$PY -m alerts --config configs/demo.yaml >"$STATE/alerts.log" 2>&1 &
pids+=($!)

say "running the pipeline on configs/demo.yaml (vtest.avi, offline detector)"
rm -f "$STATE/events.jsonl"
$PY run_pipeline.py --config configs/demo.yaml --events-out "$STATE/events.jsonl" --tracks-out "$STATE/tracks" \
  2>"$STATE/pipeline.log" | tail -n +1; tail -n 5 "$STATE/pipeline.log"
say "pipeline finished: $(wc -l <"$STATE/events.jsonl") violation messages"
cat <<INFO

  Where to look:
    operator console:         http://127.0.0.1:8080  (user: demo, password: $password)
    API docs / metrics:       http://127.0.0.1:8080/docs, http://127.0.0.1:8080/metrics, pipeline :9108/metrics
    violations (JSON lines):  $STATE/events.jsonl
    tracks (MOT format):      $STATE/tracks/cam-01.txt
    alerting service log:     $STATE/alerts.log
    Kafka topics:             hallwatch.violations, hallwatch.heartbeats at 127.0.0.1:$port
    calibration preview:      $PY -m ingest.calibrate --config configs/demo.yaml --camera cam-01 --out $STATE/preview.png

  The broker and the alerting service keep running; press Ctrl-C to stop everything.
INFO
wait "${pids[@]}"
