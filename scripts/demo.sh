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

# One demo per clone: a second one must not touch the first one's broker, database or logs.
# The lock is held until this script exits (however it exits).
exec 9>"$STATE/demo.lock"
if ! flock -n 9; then
  running=$(cat "$STATE/demo.pid" 2>/dev/null || true)
  say "a demo is already running in this clone (${running:-pid unknown}); nothing was touched."
  say "stop it first (Ctrl-C in its terminal, or kill ${running%% *}), or run the demo from another clone."
  exit 1
fi
web=${HALLWATCH_PORT:-8080}
if (exec 3<>/dev/tcp/127.0.0.1/$web) 2>/dev/null; then
  say "port $web is taken by another program: the console cannot start there."
  say "choose another one: make demo PORT=8090 (or HALLWATCH_PORT=8090)"
  exit 1
fi
echo "pid $$, console on port $web" >"$STATE/demo.pid"

port=9092
if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
  port=$($PY -c 'from streams.broker import free_port; print(free_port())')
  say "port 9092 is taken; using $port for the demo broker"
fi
pids=()
stopped=()
# A process and everything it started, parent first (the pipeline loop must not start another pass).
stop_tree() {
  local kids
  kids=$(pgrep -P "$1" || true)
  kill -TERM "$1" 2>/dev/null || true
  stopped+=("$1")
  for kid in $kids; do stop_tree "$kid"; done
}
cleanup() {
  trap - INT TERM EXIT
  say "stopping"
  # Ctrl-C reaches every process of the terminal's group, but a TERM (kill, systemd, a closed
  # session) reaches only this script: stop the whole tree, then wait until all of it has exited.
  for pid in "${pids[@]}"; do stop_tree "$pid"; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for pid in "${stopped[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
  $PY -m streams.broker stop --dir "$STATE/broker" >/dev/null 2>&1 || true
  say "stopped; logs in $STATE/"
}
trap cleanup EXIT
trap "exit 0" INT TERM

say "starting Apache Kafka (KRaft) on 127.0.0.1:$port"
$PY -m streams.broker start --dir "$STATE/broker" --port "$port" --fresh 2>"$STATE/broker-cli.log" 9>&- | sed 's/^/[kafka] /'
export HALLWATCH_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$port"

# The footage plays at the present moment (one clock for violations and decisions): the demo hall
# of this copy of the config is open around the clock. Beside it a scripted hall (ingest.scripted_hall)
# shows every rule within ten minutes from the next whole minute, six times over, on its own schedule.
CONFIG="$STATE/live.yaml"
# The scripted hall's queue-ticket system (ingest.ticket_simulator) authenticates with this token.
HALLWATCH_INTEGRATION_DEMO_QUEUE_TOKEN=$($PY -c 'import secrets; print(secrets.token_urlsafe(24))')
export HALLWATCH_INTEGRATION_DEMO_QUEUE_TOKEN
scripted=$($PY -m ingest.demo_clock --config configs/demo.yaml --next-minute)
# The footage as a live H.264 camera (scripts/rtsp_camera.py: GStreamer's RTSP server from
# scripts/setup.sh), looping: the pipeline records it for 视频回溯 and the 差评 clips. Without
# GStreamer the footage is replayed from the file, pass after pass (no recording then).
camera=()
if /usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0')" 2>/dev/null; then
  cam_port=$($PY -c 'from streams.broker import free_port; print(free_port())')
  /usr/bin/python3 scripts/rtsp_camera.py --port "$cam_port" --file data/vtest.mp4 --codec h264 --shared --loop \
    >"$STATE/camera.log" 2>&1 9>&- &
  pids+=($!)
  for _ in $(seq 1 50); do grep -q ready "$STATE/camera.log" 2>/dev/null && break; sleep 0.2; done
  camera=(--camera-url "rtsp://127.0.0.1:$cam_port/cam")
  say "the footage plays as a live camera at rtsp://127.0.0.1:$cam_port/cam (recorded for 视频回溯)"
fi
$PY -m ingest.demo_clock --config configs/demo.yaml --live-config "$CONFIG" --scripted-start "$scripted" --scripted-cycles 6 \
  "${camera[@]}"

export HALLWATCH_DATABASE_URL="sqlite:///$STATE/alerts.db"
rm -f "$STATE/alerts.db"*
password=$($PY -c 'import secrets; print(secrets.token_urlsafe(12))')
echo "$password" | $PY -m alerts.users add demo --role admin --region ziyang --name 演示管理员 --config "$CONFIG" >/dev/null
say "starting the alerting service and console on http://127.0.0.1:$web (log: $STATE/alerts.log)"
$PY -m alerts --config "$CONFIG" --port "$web" >"$STATE/alerts.log" 2>&1 9>&- &
alerts_pid=$!
pids+=($alerts_pid)
for _ in $(seq 1 120); do
  (exec 3<>/dev/tcp/127.0.0.1/$web) 2>/dev/null && break
  if ! kill -0 "$alerts_pid" 2>/dev/null; then
    say "the alerting service stopped while starting; the end of its log:"; tail -n 15 "$STATE/alerts.log"; exit 1
  fi
  sleep 0.5
done
(exec 3<>/dev/tcp/127.0.0.1/$web) 2>/dev/null || { say "the console did not come up on port $web"; exit 1; }
day=$($PY -m ingest.demo_clock --config "$CONFIG" --now | cut -c1-10)
cat <<INFO

  The console is up:          http://127.0.0.1:$web   (user: demo, password: $password)
  API schema / metrics:       http://127.0.0.1:$web/api/openapi.json (administrators), http://127.0.0.1:$web/metrics, pipeline :9108/metrics
  Violations (JSON lines):    $STATE/events.jsonl      tracks: $STATE/tracks/cam-01.txt
  Kafka topics:               hallwatch.violations, hallwatch.heartbeats, hallwatch.service-minutes at 127.0.0.1:$port
  Attendance report (考勤报表): the console's 考勤报表 tab, date $day (today: the footage plays live), and yesterday
  Every rule within ten minutes: 演示大厅（脚本）from ${scripted:11:5} — 迟到, 离岗, 聚众聊天, 群众等候, 缺岗,
                              间距不足1米, 越线, 早退 (its service periods: minutes 1–4 and 5–9 of each ten)
  Tickets and ratings:        叫号评价 tab (the scripted hall's and the footage hall's queue system, ingest.ticket_simulator);
                              with the live camera, 视频回溯 cuts any span of it and each 差评 of 莲花 window 1 has its clip
  Calibration preview:        $PY -m ingest.calibrate --config configs/demo.yaml --camera cam-01 --out $STATE/preview.png

  The footage plays at its real speed as a live camera, again and again (each pass starts at the present
  moment; the demo hall is open around the clock in $CONFIG), so alerts arrive live, every record carries
  one clock and the hall stays covered. Ctrl-C stops everything.

INFO
say "running the pipeline on $STATE/live-footage.yaml (vtest.mp4: the footage as a camera's H.264 stream; offline detector; log: $STATE/pipeline.log)"
rm -f "$STATE/events.jsonl"
(
  while true; do
    if [ ${#camera[@]} -gt 0 ]; then  # a live camera: the wall clock, for as long as it runs
      $PY run_pipeline.py --config "$STATE/live-footage.yaml" --events-out "$STATE/events.jsonl" \
        --tracks-out "$STATE/tracks" 2>>"$STATE/pipeline.log" || { echo "pipeline failed: see $STATE/pipeline.log" >&2; exit 1; }
      continue
    fi
    start=$($PY -m ingest.demo_clock --config "$CONFIG" --now)
    $PY run_pipeline.py --config "$STATE/live-footage.yaml" --realtime --start-time "$start" --events-out "$STATE/events.jsonl" \
      --tracks-out "$STATE/tracks" 2>>"$STATE/pipeline.log" || { echo "pipeline failed: see $STATE/pipeline.log" >&2; exit 1; }
  done
) 9>&- &
pids+=($!)
# The scripted hall: yesterday's same hour at once (the report and statistics have a day before
# today), then live from $scripted, its cycles aligned with its schedule; afterwards it replays on.
say "the scripted hall: yesterday's hour now, live from $scripted (log: $STATE/scripted.log)"
yesterday=$($PY -c "import sys; from datetime import datetime, timedelta; print((datetime.fromisoformat(sys.argv[1]) - timedelta(days=1)).isoformat())" "$scripted")
# Its queue tickets and ratings: yesterday's at once, today's each at its moment.
(
  $PY -m ingest.ticket_simulator --url "http://127.0.0.1:$web" --start "$yesterday" --history 2>>"$STATE/tickets.log"
  $PY -m ingest.ticket_simulator --url "http://127.0.0.1:$web" --start "$scripted" 2>>"$STATE/tickets.log"
) 9>&- &
pids+=($!)
(
  $PY run_pipeline.py --config "$STATE/live-scripted.yaml" --start-time "$yesterday" --events-out "$STATE/events.jsonl" \
    2>>"$STATE/scripted.log" || echo "the scripted hall's history failed: see $STATE/scripted.log" >&2
  start=$scripted
  while true; do
    $PY -c "import sys, time; from datetime import datetime; time.sleep(max(0.0, datetime.fromisoformat(sys.argv[1]).timestamp() - time.time()))" "$start"
    $PY run_pipeline.py --config "$STATE/live-scripted.yaml" --realtime --start-time "$start" --events-out "$STATE/events.jsonl" \
      2>>"$STATE/scripted.log" || { echo "the scripted hall failed: see $STATE/scripted.log" >&2; exit 1; }
    start=$($PY -m ingest.demo_clock --config "$CONFIG" --next-minute)
  done
) 9>&- &
pids+=($!)
wait "${pids[@]}"
