#!/usr/bin/env bash
# One idempotent set-up for `make demo` and `make test` on a fresh Debian/Ubuntu machine with
# Python 3.11+, Java 17 and Maven. Everything downloaded or converted lands in the cache
# ($HALLWATCH_CACHE, default ~/.cache/hallwatch), shared by every clone:
#   venv-<hash>/      Python dependencies pinned in pyproject.toml (hash of the list installed:
#                     the base plus the optional groups asked for, see below)
#   kafka-<ver>/libs  Apache Kafka broker jars from Maven Central
#   data/vtest.avi    demo footage from Debian's opencv-doc package
#   data/vtest.mp4    the same as a camera's H.264 stream (the demo's source)
#   data/calibration/ OpenCV's other sample images, for the quantized detector's calibration
#   models/           the offline NanoDet detector converted to ONNX, and quantized to int8
# Prints nothing but progress; the venv path is written to .venv (a symlink) in the clone.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${HALLWATCH_CACHE:-$HOME/.cache/hallwatch}"
mkdir -p "$CACHE"
PY="${PYTHON:-python3}"
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

"$PY" - <<'EOF' || { echo "Python 3.11+ is required (found $($PY --version 2>&1))" >&2; exit 1; }
import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)
EOF
command -v java >/dev/null || { echo "Java 17+ is required (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven)" >&2; exit 1; }

# --- system packages: only what the project needs, only when missing ---------------------------
need=()
command -v npm >/dev/null || need+=(npm)
[ -n "$(fc-list 2>/dev/null | grep -i 'Noto Sans CJK' | head -1)" ] || need+=(fonts-noto-cjk)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
[ -x /usr/bin/chromium ] || need+=(chromium)       # browser tests (clip playback, console)
command -v node >/dev/null || need+=(nodejs)       # the console's helpers under node --test
command -v promtool >/dev/null || need+=(prometheus)  # the real Prometheus server and promtool
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)  # the alert store on a real PostgreSQL
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || need+=(docker-compose)  # validates deploy/
# The RTSP ingest tests serve a clip with GStreamer's RTSP server through Debian's Python.
/usr/bin/python3 -c "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer" \
  >/dev/null 2>&1 || need+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-base)
# ... and an H.264 stream, as IP cameras send it (h264parse is in plugins-bad).
/usr/bin/python3 -c "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst; Gst.init(None); \
assert Gst.ElementFactory.find('h264parse')" >/dev/null 2>&1 || need+=(gstreamer1.0-plugins-bad)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${need[*]}"
    (apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1) || {
      apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
  else
    echo "please install: ${need[*]} (sudo apt-get install ${need[*]})" >&2
  fi
fi

# --- Python environment, keyed by the pinned dependency list -----------------------------------
# Optional groups (pyproject.toml [project.optional-dependencies]): HALLWATCH_EXTRAS, comma-separated
# (`make test` asks for dev,yolo). The YOLO backend (Ultralytics + PyTorch, ~5 GB) is added on a
# machine with an NVIDIA GPU and when HALLWATCH_CONFIG names a config with `backend: yolo`; the CPU
# demo runs without it. An environment with more groups than asked for is reused when one is ready.
extras="${HALLWATCH_EXTRAS:-}"
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then extras="$extras,yolo"; fi
if [ -n "${HALLWATCH_CONFIG:-}" ] && grep -Eq "^[[:space:]]*backend:[[:space:]]*[\"']?yolo" "$HALLWATCH_CONFIG" 2>/dev/null; then
  extras="$extras,yolo"
fi
choice=$(HW_EXTRAS="$extras" HW_CACHE="$CACHE" "$PY" - <<'EOF'
import hashlib, itertools, os, sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
groups = project["optional-dependencies"]
wanted = {e.strip() for e in os.environ["HW_EXTRAS"].split(",") if e.strip()}
unknown = wanted - set(groups)
if unknown:
    sys.exit(f"HALLWATCH_EXTRAS: unknown group(s) {sorted(unknown)}; pyproject.toml has {sorted(groups)}")
def requirements(chosen):
    return project["dependencies"] + [d for g in sorted(chosen) for d in groups[g]]
def key(chosen):
    return hashlib.sha256((sys.version.split()[0] + "\n" + "\n".join(requirements(chosen))).encode()).hexdigest()[:12]
others = sorted(set(groups) - wanted - {"convert"})
supersets = [wanted | set(more) for n in range(len(others) + 1) for more in itertools.combinations(others, n)]
ready = [s for s in supersets if os.path.exists(f"{os.environ['HW_CACHE']}/venv-{key(s)}/.complete")]
chosen = ready[0] if ready else wanted
open(f"{os.environ['HW_CACHE']}/requirements-{key(chosen)}.txt", "w").write("\n".join(requirements(chosen)) + "\n")
print(key(chosen), ",".join(sorted(chosen)) or "-")
EOF
)
read -r hash extras <<<"$choice"
VENV="$CACHE/venv-$hash"
if [ ! -f "$VENV/.complete" ]; then
  say "creating the Python environment $VENV (optional groups: $extras; first time only: minutes)"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r "$CACHE/requirements-$hash.txt"
  echo "$extras" > "$VENV/.extras"
  touch "$VENV/.complete"
fi
touch "$VENV/.complete"  # marks it as used: environments unused for 14 days are pruned
find "$CACHE" -maxdepth 2 -name .complete -path "$CACHE/venv-*" -mtime +14 -printf '%h\n' 2>/dev/null |
  while read -r old; do [ "$old" != "$VENV" ] && rm -rf "$old"; done
ln -sfn "$VENV" .venv
export PYTHONPATH="$PWD"

# --- Kafka broker jars --------------------------------------------------------------------------
"$VENV/bin/python" -m streams.broker fetch >/dev/null

# --- demo footage and calibration images, from Debian's opencv-doc -------------------------------
# vtest.avi is the demo's footage; OpenCV's other sample images (and Megamind.avi) calibrate the
# quantized detector (detectors/models.py) — never the footage it is measured on.
VTEST="$CACHE/data/vtest.avi"
CALIBRATION="$CACHE/data/calibration"
if [ ! -f "$VTEST" ] || [ ! -f "$CALIBRATION/.complete" ]; then
  mkdir -p "$CACHE/data"
  samples=/usr/share/doc/opencv-doc/examples/data
  tmp=$(mktemp -d)
  if [ ! -f "$samples/vtest.avi" ]; then
    say "fetching OpenCV's sample data from Debian's opencv-doc package"
    (cd "$tmp" && { apt-get download opencv-doc >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1; apt-get download opencv-doc >/dev/null; }; })
    dpkg-deb --fsys-tarfile "$tmp"/opencv-doc_*.deb | tar -x -C "$tmp" ./usr/share/doc/opencv-doc/examples/data/
    samples="$tmp/usr/share/doc/opencv-doc/examples/data"
  fi
  [ -f "$VTEST" ] || cp "$samples/vtest.avi" "$VTEST"
  rm -rf "$CALIBRATION" && mkdir -p "$CALIBRATION"
  cp "$samples"/*.jpg "$samples"/*.png "$samples/Megamind.avi" "$CALIBRATION"/
  touch "$CALIBRATION/.complete"
  rm -rf "$tmp"
fi
mkdir -p data
ln -sfn "$VTEST" data/vtest.avi
# The demo camera sends H.264, as IP cameras do (its evidence clips are then stream copies): the
# same footage at its captured 7 frames/s, a keyframe every 2 s, no B-frames.
VTEST_H264="$CACHE/data/vtest.mp4"
if [ ! -f "$VTEST_H264" ]; then
  say "encoding the demo footage as a camera's H.264 stream"
  ffmpeg -nostdin -loglevel error -y -r 7 -i "$VTEST" -c:v libx264 -preset medium -crf 20 -g 14 -keyint_min 14 \
    -sc_threshold 0 -bf 0 -pix_fmt yuv420p -movflags +faststart "$VTEST_H264.partial.mp4"
  mv "$VTEST_H264.partial.mp4" "$VTEST_H264"
fi
ln -sfn "$VTEST_H264" data/vtest.mp4

# --- the offline default detector ---------------------------------------------------------------
if ! "$VENV/bin/python" -m detectors.models fetch >/dev/null; then
  echo "WARNING: could not prepare the NanoDet model; the pipeline will fall back to OpenCV HOG" >&2
fi
say "ready (cache: $CACHE)"
