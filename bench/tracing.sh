#!/usr/bin/env bash
# What tracing costs: bench/run.sh three times on one build, with tracing off, on at 10 % sampling and on at 100 %,
# the spans exported over OTLP/HTTP to bench/otlp_sink.py (a stand-in collector that answers 200 and keeps
# nothing). Rate limits are off in all three, so only tracing differs. Prints a table of the booking scenarios
# with each traced run's rate as a ratio of the untraced one; each run's full report is kept beside it.
#
#   bench/tracing.sh [--quick] [--no-build]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ARGS=()
BUILD=()
for arg in "$@"; do
  case "$arg" in
    --quick) ARGS+=(--quick) ;;
    --no-build) BUILD=(--no-build) ;;
    *) echo "usage: bench/tracing.sh [--quick] [--no-build]" >&2; exit 2 ;;
  esac
done
while read -r var; do unset "$var"; done < <(compgen -e | grep '^OTEL_' || true)

OUT=$(mktemp -d "${TMPDIR:-/tmp}/roster-tracing-bench.XXXXXX")
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 bench/otlp_sink.py "$PORT" "$OUT/sink.txt" &
SINK_PID=$!
trap 'kill "$SINK_PID" 2>/dev/null || true; wait "$SINK_PID" 2>/dev/null || true' EXIT

TRACED="OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$PORT OTEL_SERVICE_NAME=roster-bench"
run() {
  local name=$1
  shift
  echo "$(date +%H:%M:%S) tracing bench: $name" >&2
  BENCH_SERVICE_ENV="ROSTER_RATE_ENABLED=false $*" bench/run.sh --no-save "${ARGS[@]}" "${BUILD[@]}" > "$OUT/$name.md"
  BUILD=(--no-build)
}
run off
run sampled-10 "$TRACED OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1"
run sampled-100 "$TRACED OTEL_TRACES_SAMPLER=parentbased_always_on"
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null || true

python3 - "$OUT" <<'PY'
import re, sys, os
out = sys.argv[1]
runs = [("off", "off"), ("sampled-10", "10 %"), ("sampled-100", "100 %")]
rows = {}
for name, _ in runs:
    for line in open(os.path.join(out, name + ".md")):
        m = re.match(r"^\| (B\d [^|]*?) \| ([\d,]+) \|[^|]*\|[^|]*\| ([^|]+) \| ([^|]+) \|", line)
        if m:
            rows.setdefault(m.group(1), {})[name] = (int(m.group(2).replace(",", "")), m.group(3).strip(), m.group(4).strip())
print("| scenario | off req/s | 10 % req/s | 100 % req/s | 10 % ÷ off | 100 % ÷ off | p99 off / 10 % / 100 % |")
print("|---|---:|---:|---:|---:|---:|---:|")
for scenario in sorted(rows):
    r = rows[scenario]
    off = r["off"][0]
    print(f"| {scenario} | {off:,} | {r['sampled-10'][0]:,} | {r['sampled-100'][0]:,} | "
          f"{r['sampled-10'][0] / off:.2f} | {r['sampled-100'][0] / off:.2f} | "
          f"{r['off'][2]} / {r['sampled-10'][2]} / {r['sampled-100'][2]} |")
print()
print("OTLP sink: " + open(os.path.join(out, "sink.txt")).read().strip() + f" (reports in {out})")
PY
