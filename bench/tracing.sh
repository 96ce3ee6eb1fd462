#!/usr/bin/env bash
# What tracing costs: bench/run.sh three times on one build, with tracing off, on at 10 % sampling and on at 100 %,
# the spans exported over OTLP/HTTP to bench/otlp_sink.py (a stand-in collector that answers 200 and keeps
# nothing). Rate limits are off in all three, so only tracing differs. With --rounds N the three runs repeat N
# times, interleaved (off, 10 %, 100 %, off, ...), so a machine that gets busier or quieter meanwhile weighs on every
# setting alike; the table gives each setting's mean rate and service CPU time per request (which the machine's
# other load moves less than the rate), and their ratios to the untraced means. Each run's full
# report is kept (its baseline checks may fail on a shared PostgreSQL out of connections: the service's figures
# stand on their own here).
#
#   bench/tracing.sh [--quick] [--no-build] [--rounds N]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ARGS=()
BUILD=()
ROUNDS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) ARGS+=(--quick) ;;
    --no-build) BUILD=(--no-build) ;;
    --rounds) ROUNDS=$2; shift ;;
    *) echo "usage: bench/tracing.sh [--quick] [--no-build] [--rounds N]" >&2; exit 2 ;;
  esac
  shift
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
  BENCH_SERVICE_ENV="ROSTER_RATE_ENABLED=false $*" bench/run.sh --no-save "${ARGS[@]}" "${BUILD[@]}" > "$OUT/$name.md" \
    || echo "$(date +%H:%M:%S) tracing bench: $name: some checks failed (see $OUT/$name.md)" >&2
  BUILD=(--no-build)
}
for round in $(seq 1 "$ROUNDS"); do
  run "off-$round"
  run "sampled-10-$round" "$TRACED OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1"
  run "sampled-100-$round" "$TRACED OTEL_TRACES_SAMPLER=parentbased_always_on"
done
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null || true

python3 - "$OUT" "$ROUNDS" <<'PY'
import os, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
modes = ["off", "sampled-10", "sampled-100"]
rates, cpu = {}, {}
for mode in modes:
    for r in range(1, rounds + 1):
        for line in open(os.path.join(out, f"{mode}-{r}.md")):
            m = re.match(r"^\| (B\d [^|]*?) \| ([\d,]+) \|", line)
            if m:
                rates.setdefault(m.group(1), {}).setdefault(mode, []).append(int(m.group(2).replace(",", "")))
            m = re.match(r"^- \*\*(B\d [^*]*)\*\*:.* Service CPU: ([\d.]+) ms per response", line)
            if m:
                cpu.setdefault(m.group(1), {}).setdefault(mode, []).append(float(m.group(2)))
mean = lambda values: statistics.mean(values) if values else float("nan")
print("| scenario | req/s off / 10 % / 100 % | req/s ÷ off (10 %, 100 %) | service CPU ms per request off / 10 % / 100 % "
      "| CPU ÷ off (10 %, 100 %) |")
print("|---|---:|---:|---:|---:|")
for scenario in sorted(rates):
    r = {m: mean(rates[scenario].get(m, [])) for m in modes}
    c = {m: mean(cpu.get(scenario, {}).get(m, [])) for m in modes}
    print(f"| {scenario} | {r['off']:,.0f} / {r['sampled-10']:,.0f} / {r['sampled-100']:,.0f} | "
          f"{r['sampled-10'] / r['off']:.2f}, {r['sampled-100'] / r['off']:.2f} | "
          f"{c['off']:.2f} / {c['sampled-10']:.2f} / {c['sampled-100']:.2f} | "
          f"{c['sampled-10'] / c['off']:.2f}, {c['sampled-100'] / c['off']:.2f} |")
print()
for scenario in sorted(rates):
    print(f"- {scenario}, per round: " + "; ".join(
        f"{mode} " + ", ".join(f"{v:,} req/s" for v in rates[scenario][mode])
        + (" (" + ", ".join(f"{v:.2f} ms CPU" for v in cpu.get(scenario, {}).get(mode, [])) + ")") for mode in modes))
print()
print("OTLP sink: " + open(os.path.join(out, "sink.txt")).read().strip() + f" (reports in {out})")
PY
