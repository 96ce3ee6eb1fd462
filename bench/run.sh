#!/usr/bin/env bash
# The Roster booking benchmark, in one command: see bench/README.md.
#
#   bench/run.sh            full run (at most 10 minutes), table saved to bench/results/<date>-<commit>.md
#   bench/run.sh --quick    a few seconds per scenario: a smoke check (not saved unless --save)
#
# Builds the service, starts it in `start` mode against a fresh database on the local PostgreSQL, seeds members
# and events, mints one token per member (signed by a key served here as the JWKS), runs B1..B6 with wrk and
# baselines with pgbench, checks the outcome in the database, stops everything it started, prints a table.
#
#   --profile      a JFR recording per scenario, kept in the run directory; the top frames follow the table
#   --production   rate limits on (their defaults) and tracing on at 10 % sampling, exported to bench/otlp_sink.py
#   --scale        B2, B4 and deep pages of the member and booking lists, then 1,000,000 members, 100,000 events and
#                  5,000,000 bookings more, then the same scenarios again: the table gives scale ÷ small
set -euo pipefail

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  cat <<'USAGE'
Options: --quick, --save (also save a --quick run), --no-save, --no-build (reuse the last build), --profile,
  --production, --scale.
Environment (defaults): BENCH_PG_HOST (127.0.0.1), BENCH_PG_PORT (5432), BENCH_PG_USER (postgres),
  BENCH_PG_PASSWORD (none), BENCH_DB (roster_bench, dropped and created), BENCH_POOL_SIZE (16),
  BENCH_HTTP_INSTANCES (2), BENCH_JAVA_OPTS (-Xmx1g), BENCH_BUILD_DIR (target/bench), BENCH_MVN_OPTS (none),
  BENCH_SERVICE_ENV (none: more VAR=value settings for the service, e.g. "ROSTER_BOOKING_COALESCE=false"),
  BENCH_ONLY (none: all; else the scenarios to run, e.g. "b1 b3", reads = B5 and B6),
  BENCH_JAR (none: run this jar instead of building one, e.g. an older commit's), BENCH_RUN_DIR (a new
  directory under $TMPDIR: where the logs, recordings and report go; must not exist yet).
USAGE
}

QUICK=0 BUILD=1 SAVE=auto PROFILE=0 PRODUCTION=0 SCALE=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --profile) PROFILE=1 ;;
    --production) PRODUCTION=1 ;;
    --scale) SCALE=1 ;;
    --save) SAVE=1 ;;
    --no-save) SAVE=0 ;;
    --no-build) BUILD=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench: unknown option $arg" >&2; usage >&2; exit 2 ;;
  esac
done
[ "$SAVE" = auto ] && SAVE=$((1 - QUICK))

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BENCH="$ROOT/bench"
STARTED_AT=$(date +%s)

# Nothing inherited may change the service's configuration: only what this script sets below.
# OTEL_* too: an inherited OTLP endpoint would turn tracing on (bench/tracing.sh sets it on purpose).
while read -r var; do unset "$var"; done < <(compgen -e | grep -E '^(ROSTER|OTEL)_' || true)

PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
PG_PORT=${BENCH_PG_PORT:-5432}
PG_USER=${BENCH_PG_USER:-postgres}
DB=${BENCH_DB:-roster_bench}
POOL_SIZE=${BENCH_POOL_SIZE:-16}
HTTP_INSTANCES=${BENCH_HTTP_INSTANCES:-2}
JAVA_OPTS=${BENCH_JAVA_OPTS:--Xmx1g}
BUILD_DIR=${BENCH_BUILD_DIR:-$ROOT/target/bench}
JAR="$BUILD_DIR/roster-service.jar"
if [ -n "${BENCH_JAR:-}" ]; then
  JAR=$(cd "$(dirname "$BENCH_JAR")" && pwd)/$(basename "$BENCH_JAR")
  BUILD=0
fi
export PGPASSWORD=${BENCH_PG_PASSWORD:-${PGPASSWORD:-}}
PG_URL="postgresql://$PG_USER${BENCH_PG_PASSWORD:+:$BENCH_PG_PASSWORD}@$PG_HOST:$PG_PORT/$DB"
ISSUER="https://issuer.bench.roster.test/realms/bench"
THREADS=2           # wrk threads and pgbench -j: the machine has 2 cores
CONNECTIONS=64      # B1, B2, B4 and their baselines
B3_CONNECTIONS=256

if [ "$QUICK" = 1 ]; then
  MODE=quick
  B1_COUNT=2000 B2_COUNT=3000 B3_MEMBERS=1000 B3_SEATS=50 B4_SECONDS=3 WARMUP_SECONDS=3 WARMUP_ROUNDS=1 READ_SECONDS=3
  MEMBERS=2048 WARM_MEMBERS=512 SLICE_LIMIT=60
else
  MODE=full
  B1_COUNT=20000 B2_COUNT=25000 B3_MEMBERS=5000 B3_SEATS=100 B4_SECONDS=30 WARMUP_SECONDS=10 WARMUP_ROUNDS=8 READ_SECONDS=15
  MEMBERS=20480 WARM_MEMBERS=2048 SLICE_LIMIT=240
fi
WARMUP_JIT_PERCENT=5   # a warm-up round in which the JIT took at most this share of the CPU ends the warm-up
# The baselines' -t (transactions per client): 64 x this >= the service's request count.
B1_PER_CLIENT=$(( (B1_COUNT + CONNECTIONS - 1) / CONNECTIONS ))
B2_PER_CLIENT=$(( (B2_COUNT + CONNECTIONS - 1) / CONNECTIONS ))   # <= 50,000 pairs (1,000 events x 50 seats)
# B5..B8 take their tokens in turn from a fixed set: every token is verified once, then served from the token
# cache. 512 member tokens (each at most ~1/512 of the requests) and 64 admin tokens keep each caller far below
# its rate limit (600 reads, 3,000 admin calls a minute by default), so the rate limiter can stay on.
READ_TOKENS=512
ADMIN_TOKENS=64
# --scale: what seed_scale.sql adds
SCALE_MEMBERS=1000000 SCALE_EVENTS=100000
TOKENS=$((MEMBERS + WARM_MEMBERS))
SERVICE_ENV=${BENCH_SERVICE_ENV:-}

if [ -n "${BENCH_RUN_DIR:-}" ]; then
  mkdir "$BENCH_RUN_DIR"
  RUN_DIR=$(cd "$BENCH_RUN_DIR" && pwd)
else
  RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/roster-bench.XXXXXX")
fi
mkdir -p "$RUN_DIR/keys" "$RUN_DIR/pgbench"
: > "$RUN_DIR/checks.txt"

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# --- cleanup: stop everything this script started --------------------------------------------------------
SERVICE_PID="" JWKS_PID="" SAMPLER_PID="" MINT_PID="" SINK_PID=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "$SAMPLER_PID" "$JWKS_PID" "$MINT_PID" "$SINK_PID"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  if [ -n "$SERVICE_PID" ] && kill -0 "$SERVICE_PID" 2>/dev/null; then
    kill "$SERVICE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$SERVICE_PID" 2>/dev/null || true
  fi
  for pid in "$SAMPLER_PID" "$JWKS_PID" "$MINT_PID" "$SINK_PID" "$SERVICE_PID"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  [ "$status" = 0 ] || log "logs and intermediate files: $RUN_DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- tools -----------------------------------------------------------------------------------------------
apt_install() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  log "installing $* (apt-get)"
  { $sudo apt-get install -y --no-install-recommends "$@" || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "$@"; }; } \
    > "$RUN_DIR/apt.log" 2>&1 || { tail -20 "$RUN_DIR/apt.log" >&2; die "could not install $*"; }
}
for tool in java mvn python3 git; do
  command -v "$tool" > /dev/null || die "$tool is needed and not installed"
done
psql --version > /dev/null 2>&1 || apt_install postgresql-client
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER")
"${PSQL[@]}" -d postgres -Atc "SELECT 1" > /dev/null 2>&1 || die "no PostgreSQL at $PG_HOST:$PG_PORT (user $PG_USER)"
PG_MAJOR=$("${PSQL[@]}" -d postgres -Atc "SELECT current_setting('server_version_num')::int / 10000")
command -v wrk > /dev/null || apt_install wrk
if ! pgbench --version > /dev/null 2>&1; then
  # Debian ships pgbench with the server package up to PostgreSQL 15, with the client package later.
  apt_install "postgresql-client-$PG_MAJOR"
  pgbench --version > /dev/null 2>&1 || apt_install "postgresql-$PG_MAJOR"
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

# --- production settings: the rate limits on with their default policies (conf/application.yaml), tracing on --
# at 10 % sampling, exported over OTLP/HTTP to a stand-in collector (bench/otlp_sink.py, as bench/tracing.sh does).
# They come before BENCH_SERVICE_ENV, which can still override them.
PRODUCTION_ENV=""
if [ "$PRODUCTION" = 1 ]; then
  SINK_PORT=$(free_port)
  python3 "$BENCH/otlp_sink.py" "$SINK_PORT" "$RUN_DIR/otlp_sink.txt" &
  SINK_PID=$!
  PRODUCTION_ENV="ROSTER_RATE_ENABLED=true OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT"
  PRODUCTION_ENV+=" OTEL_SERVICE_NAME=roster-bench OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1"
fi

# --- machine and settings (for the report) ---------------------------------------------------------------
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$([ -n "$(git status --porcelain -- . ':!bench' 2>/dev/null)" ] && echo yes || echo no)
{
  echo "mode=$MODE"
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit=$COMMIT"
  echo "branch=$(git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)"
  echo "dirty=$DIRTY"
  echo "cores=$(nproc)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "ram=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel=$(uname -sr)"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "pg_server=$("${PSQL[@]}" -d postgres -Atc 'SHOW server_version')"
  echo "pg_settings=$("${PSQL[@]}" -d postgres -Atc "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('max_connections', 'shared_buffers', 'synchronous_commit', 'fsync', 'work_mem')")"
  echo "psql=$(psql --version)"
  echo "pgbench=$(pgbench --version)"
  echo "wrk=$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "java=$(java -version 2>&1 | head -1)"
  echo "pool_size=$POOL_SIZE"
  echo "http_instances=$HTTP_INSTANCES"
  echo "java_opts=$JAVA_OPTS"
  echo "threads=$THREADS"
  echo "connections=$CONNECTIONS"
  echo "b3_connections=$B3_CONNECTIONS"
  echo "b1_count=$B1_COUNT"
  echo "b1_baseline_count=$((B1_PER_CLIENT * CONNECTIONS))"
  echo "b2_count=$B2_COUNT"
  echo "b2_baseline_count=$((B2_PER_CLIENT * CONNECTIONS))"
  echo "service_env=$SERVICE_ENV"
  echo "production=$PRODUCTION"
  echo "only=${BENCH_ONLY:-}"
  echo "production_env=$PRODUCTION_ENV"
  echo "profile=$PROFILE"
  echo "scale=$SCALE"
  echo "jar=${BENCH_JAR:+$JAR}"
  echo "read_seconds=$READ_SECONDS"
  echo "read_tokens=$READ_TOKENS"
  echo "admin_tokens=$ADMIN_TOKENS"
  echo "b3_members=$B3_MEMBERS"
  echo "b3_seats=$B3_SEATS"
  echo "b4_seconds=$B4_SECONDS"
  echo "warmup_seconds=$WARMUP_SECONDS"
  echo "members=$MEMBERS"
  echo "warm_members=$WARM_MEMBERS"
} > "$RUN_DIR/meta.txt"
log "$MODE run, commit $COMMIT, work files in $RUN_DIR"
# How busy the cores are before we start (1 s sample of /proc/stat): other work on the machine skews the numbers.
cpu_busy() {
  local _ u1 n1 s1 i1 w1 q1 r1 t1 u2 n2 s2 i2 w2 q2 r2 t2
  read -r _ u1 n1 s1 i1 w1 q1 r1 t1 _ < /proc/stat
  sleep 1
  read -r _ u2 n2 s2 i2 w2 q2 r2 t2 _ < /proc/stat
  local all=$(( (u2 + n2 + s2 + i2 + w2 + q2 + r2 + t2) - (u1 + n1 + s1 + i1 + w1 + q1 + r1 + t1) ))
  local idle=$(( (i2 + w2) - (i1 + w1) ))
  echo $(( all > 0 ? 100 * (all - idle) / all : 0 ))
}
CPU_BUSY=$(cpu_busy)
echo "cpu_busy_before=$CPU_BUSY" >> "$RUN_DIR/meta.txt"
log "machine: $(nproc) cores, ${CPU_BUSY}% busy before the run, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$CPU_BUSY" -gt 20 ]; then
  log "warning: other processes keep the cores ${CPU_BUSY}% busy: expect noisy numbers"
fi

# --- build (and mint the tokens meanwhile) ---------------------------------------------------------------
log "minting $TOKENS tokens"
java "$BENCH/TokenMint.java" "$RUN_DIR/keys" "$TOKENS" "$ISSUER" "$ADMIN_TOKENS" > "$RUN_DIR/mint.log" 2>&1 &
MINT_PID=$!
if [ "$BUILD" = 1 ]; then
  log "building the service (mvn package into $BUILD_DIR)"
  # shellcheck disable=SC2086
  mvn -q -B ${BENCH_MVN_OPTS:-} -DskipTests -DbuildDir="$BUILD_DIR" package > "$RUN_DIR/build.log" 2>&1 \
    || { tail -30 "$RUN_DIR/build.log" >&2; wait "$MINT_PID" || true; die "the build failed"; }
fi
[ -f "$JAR" ] || die "no $JAR (run without --no-build${BENCH_JAR:+, or set BENCH_JAR to a jar that exists})"
wait "$MINT_PID" || { cat "$RUN_DIR/mint.log" >&2; die "minting tokens failed"; }
MINT_PID=""
TOKEN_FILE="$RUN_DIR/keys/tokens.txt"
ADMIN_FILE="$RUN_DIR/keys/admins.txt"

# --- JWKS server, database, service ----------------------------------------------------------------------
JWKS_PORT=$(free_port)
python3 -m http.server "$JWKS_PORT" --bind 127.0.0.1 --directory "$RUN_DIR/keys" > "$RUN_DIR/jwks.log" 2>&1 &
JWKS_PID=$!

log "creating a fresh database $DB"
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" > /dev/null
PSQL_DB=("${PSQL[@]}" -d "$DB")
sql() { "${PSQL_DB[@]}" -Atc "$1"; }

HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT"
log "starting the service (start mode) on port $HTTP_PORT"
# shellcheck disable=SC2086
env ROSTER_PG_URL="$PG_URL" \
    ROSTER_OIDC_ISSUER="$ISSUER" ROSTER_OIDC_JWKS_URL="http://127.0.0.1:$JWKS_PORT/jwks.json" \
    ROSTER_OIDC_AUDIENCE=roster-bench \
    ROSTER_HTTP_HOST=127.0.0.1 ROSTER_HTTP_PORT="$HTTP_PORT" ROSTER_HTTP_INSTANCES="$HTTP_INSTANCES" \
    ROSTER_PG_POOL_SIZE="$POOL_SIZE" \
    ROSTER_RELAY_INSTANCES=0 ROSTER_WORKER_INSTANCES=0 ROSTER_SCHEDULER_ENABLED=false $PRODUCTION_ENV $SERVICE_ENV \
    java $JAVA_OPTS -jar "$JAR" start > "$RUN_DIR/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 1 600); do
  grep -q "Roster API listening on" "$RUN_DIR/service.log" && break
  kill -0 "$SERVICE_PID" 2>/dev/null || { tail -30 "$RUN_DIR/service.log" >&2; die "the service exited"; }
  sleep 0.2
done
grep -q "Roster API listening on" "$RUN_DIR/service.log" || { tail -30 "$RUN_DIR/service.log" >&2; die "the service did not start within 120 s"; }
echo "service_startup_s=$(( $(date +%s) - STARTED_AT ))" >> "$RUN_DIR/meta.txt"

# The service's resident memory and CPU time, sampled 4 times a second (the report takes the peak memory of each
# scenario's window, and the CPU time spent in it per response: a figure that other load on the machine moves less
# than the request rate). The CPU time is also split by thread: the JIT compiler's and the garbage collector's
# threads apart, as the JIT's work is a one-off that a young process pays while it warms up.
python3 -c '
import os, sys, time
pid, out = sys.argv[1], sys.argv[2]
tick_ms = 1000.0 / os.sysconf("SC_CLK_TCK")
def cpu(path):
    with open(path) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * tick_ms  # utime + stime
def group(name):
    if name.startswith(("C1 CompilerThre", "C2 CompilerThre")):
        return 1
    return 2 if name.startswith(("GC Thread", "G1 ")) else 0
with open(out, "a") as f:
    while True:
        try:
            with open("/proc/%s/status" % pid) as status:
                rss = next(line.split()[1] for line in status if line.startswith("VmRSS:"))
            total = cpu("/proc/%s/stat" % pid)
            split = [0.0, 0.0, 0.0]
            for task in os.listdir("/proc/%s/task" % pid):
                try:
                    with open("/proc/%s/task/%s/comm" % (pid, task)) as comm:
                        name = comm.read().strip()
                    split[group(name)] += cpu("/proc/%s/task/%s/stat" % (pid, task))
                except (OSError, IndexError, ValueError):
                    pass  # a thread that ended meanwhile
        except (OSError, StopIteration, IndexError, ValueError):
            break
        # the process total also counts threads that have ended: JIT and GC threads are long-lived
        f.write("%d %s %d %d %d\n" % (time.time() * 1000, rss, total, split[1], split[2]))
        f.flush()
        time.sleep(0.25)
' "$SERVICE_PID" "$RUN_DIR/rss.txt" &
SAMPLER_PID=$!

# --- data ------------------------------------------------------------------------------------------------
BASE=$(date -u -d "+30 days" +%Y-%m-%dT00:00:00Z)     # seeded event n starts at BASE + n minutes
BASE_EPOCH=$(date -u -d "$BASE" +%s)
log "seeding $((MEMBERS + WARM_MEMBERS)) members and $((2000 + 3 + 100)) events"
"${PSQL_DB[@]}" -v members="$MEMBERS" -v warm="$WARM_MEMBERS" -v base="'$BASE'" -v b3_seats="$B3_SEATS" \
  -f "$BENCH/seed.sql" > "$RUN_DIR/seed.log" 2>&1 || { cat "$RUN_DIR/seed.log" >&2; die "seeding failed"; }
python3 "$BENCH/gen_pgbench.py" src/main/resources/sql/booking.sql "$RUN_DIR/pgbench" "$BASE"
event_id() { printf 'b0000000-0000-4000-8000-%012d' "$1"; }

# --- runners ---------------------------------------------------------------------------------------------
# Between runs the machine should be idle: a 1 s sample just before each run shows work that is not ours.
busy_before() {
  local busy; busy=$(cpu_busy)
  echo "${1}_busy_before=$busy" >> "$RUN_DIR/meta.txt"
  [ "$busy" -le 20 ] || log "warning: the cores were ${busy}% busy just before $1 (the service's JIT or GC, or other work on the machine)"
}

# run_wrk NAME WRK-ARGS...: one wrk run against the service; keeps its output, summary and time window.
# With --profile, a JFR recording (settings=profile: a stack sample every 10 ms per running thread) spans each
# measured wrk run, started after the idle check and stopped after the window closes: $RUN_DIR/NAME.jfr.
run_wrk() {
  local name=$1; shift
  sql "CHECKPOINT" > /dev/null
  busy_before "$name"
  local recording=0
  if [ "$PROFILE" = 1 ] && [[ "$name" != warmup* ]]; then
    jcmd "$SERVICE_PID" JFR.start name="$name" settings=profile filename="$RUN_DIR/$name.jfr" > "$RUN_DIR/$name.jfr.log" 2>&1 \
      && recording=1 || log "warning: JFR.start failed for $name (see $name.jfr.log)"
  fi
  local start; start=$(now_ms)
  wrk --latency --timeout 30s "$@" > "$RUN_DIR/$name.wrk.txt" 2>&1 || { cat "$RUN_DIR/$name.wrk.txt" >&2; die "wrk failed ($name)"; }
  echo "$start $(now_ms)" > "$RUN_DIR/$name.window"
  if [ "$recording" = 1 ]; then
    jcmd "$SERVICE_PID" JFR.stop name="$name" >> "$RUN_DIR/$name.jfr.log" 2>&1 || log "warning: JFR.stop failed for $name"
  fi
  grep '^BENCH_JSON ' "$RUN_DIR/$name.wrk.txt" | cut -d' ' -f2- > "$RUN_DIR/$name.wrk.json" \
    || { cat "$RUN_DIR/$name.wrk.txt" >&2; die "wrk printed no summary ($name)"; }
}

# run_pgbench NAME PGBENCH-ARGS...: one baseline run; its exit status is checked with the outcome.
run_pgbench() {
  local name=$1; shift
  sql "CHECKPOINT" > /dev/null
  busy_before "${name}_baseline"
  echo "${name}_connections_before=$(sql "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'")" >> "$RUN_DIR/meta.txt"
  local status=0
  pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -n -M prepared -c "$CONNECTIONS" -j "$THREADS" "$@" "$DB" \
    > "$RUN_DIR/$name.pgbench.txt" 2>&1 || status=$?
  echo "$status" > "$RUN_DIR/$name.pgbench.status"
  check "$name" "pgbench finished without errors or aborted clients (exit $status)" \
    "$([ "$status" = 0 ] && ! grep -q 'aborted' "$RUN_DIR/$name.pgbench.txt" && echo ok)"
}

# check SCENARIO TEXT RESULT: records PASS when RESULT is "ok".
check() {
  local verdict=FAIL
  [ "$3" = ok ] && verdict=PASS
  printf '%s\t%s\t%s\n' "$1" "$verdict" "$2" >> "$RUN_DIR/checks.txt"
  log "$verdict $1: $2"
}
expect() { # SCENARIO TEXT ACTUAL EXPECTED
  check "$1" "$2: $3 (expected $4)" "$([ "$3" = "$4" ] && echo ok)"
}
# status / code counts from a wrk summary
wrk_count() { # NAME statuses|codes KEY
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(int(d.get(sys.argv[2], {}).get(sys.argv[3], 0)))' \
    "$RUN_DIR/$1.wrk.json" "$2" "$3"
}
wrk_field() { # NAME EXPRESSION over d
  python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$RUN_DIR/$1.wrk.json" "$2"
}
socket_errors() { wrk_field "$1" 'int(sum(d["errors"][k] for k in ("connect", "read", "write", "timeout")))'; }

# --- warm-up: the JIT and the caches, on events and members no scenario uses -------------------------------
# Rounds of bookings then browsing, until the JIT compiler has settled: a round in which its threads took at most
# WARMUP_JIT_PERCENT of the service's CPU (or WARMUP_ROUNDS rounds). Otherwise the first scenarios would be charged
# with compiling the service (measured: about half of B1's CPU after a single 15 s round).
# window_cpu NAME: the service's CPU time (ms) during a run's window: all threads, the JIT's, the GC's.
window_cpu() {
  python3 - "$RUN_DIR/rss.txt" "$RUN_DIR/$1.window" <<'PY'
import sys
start, end = (int(x) for x in open(sys.argv[2]).read().split())
rows = [[int(v) for v in line.split()] for line in open(sys.argv[1]) if len(line.split()) == 5]
before = [r for r in rows if r[0] <= start] or rows[:1]
inside = [r for r in rows if r[0] <= end]
print(" ".join(str(inside[-1][i] - before[-1][i]) for i in (2, 3, 4)) if before and inside else "0 0 0")
PY
}
log "warm-up: rounds of ${WARMUP_SECONDS}s of bookings on the warm-up events and $((WARMUP_SECONDS / 2))s of browsing, until the JIT has settled (at most $WARMUP_ROUNDS)"
WARMUP_LOG=""
for round in $(seq 1 "$WARMUP_ROUNDS"); do
  BENCH_ROUND=$round run_wrk warmup -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP_SECONDS}s" -s "$BENCH/book_random.lua" \
    "$URL" -- "$TOKEN_FILE" "$((MEMBERS + 1))" "$((MEMBERS + WARM_MEMBERS))" 4001 4100
  read -r spent jit _ < <(window_cpu warmup)
  run_wrk warmup_browse -t"$THREADS" -c"$CONNECTIONS" -d"$((WARMUP_SECONDS / 2))s" -s "$BENCH/browse.lua" "$URL" \
    -- "$TOKEN_FILE" "$MEMBERS" 4001 4100 "$BASE_EPOCH"
  read -r spent2 jit2 _ < <(window_cpu warmup_browse)
  share=$(( 100 * (jit + jit2) / (spent + spent2 > 0 ? spent + spent2 : 1) ))
  WARMUP_LOG+="${WARMUP_LOG:+, }$share"
  log "warm-up round $round: the JIT took ${share}% of the service's CPU"
  [ "$share" -gt "$WARMUP_JIT_PERCENT" ] || break
done
{ echo "warmup_rounds=$round"; echo "warmup_jit_limit=$WARMUP_JIT_PERCENT"; echo "warmup_max_rounds=$WARMUP_ROUNDS"; } >> "$RUN_DIR/meta.txt"
echo "warmup_jit_percent=$WARMUP_LOG" >> "$RUN_DIR/meta.txt"

# --- B1 hot event ----------------------------------------------------------------------------------------
scenario_b1() {
  log "B1 hot event: $B1_COUNT members book one event once each, $CONNECTIONS connections"
  : > "$RUN_DIR/b1.done"
  run_wrk b1 -t"$THREADS" -c"$CONNECTIONS" -d"${SLICE_LIMIT}s" -s "$BENCH/book_slice.lua" "$URL" \
    -- "$TOKEN_FILE" 3001 1 "$B1_COUNT" "$THREADS" "$RUN_DIR/b1.done"
  log "B1 baseline: pgbench, the same transaction on a copy of the event, $((B1_PER_CLIENT * CONNECTIONS)) bookings"
  run_pgbench b1 -t "$B1_PER_CLIENT" -D event="$(event_id 3002)" -D status=confirmed -D kind=booking.confirmed \
    -f "$RUN_DIR/pgbench/b1_book.sql"
  expect b1 "201 responses" "$(wrk_count b1 statuses 201)" "$B1_COUNT"
  expect b1 "responses in all" "$(wrk_field b1 'int(d["responses"])')" "$B1_COUNT"
  expect b1 "socket errors" "$(socket_errors b1)" 0
  expect b1 "confirmed bookings of the event" \
    "$(sql "SELECT count(*) FROM bookings WHERE event_id = '$(event_id 3001)' AND status = 'confirmed'")" "$B1_COUNT"
  expect b1 "booked_count of the event" "$(sql "SELECT booked_count FROM events WHERE id = '$(event_id 3001)'")" "$B1_COUNT"
  expect b1 "baseline: booked_count of its copy" \
    "$(sql "SELECT booked_count || '/' || (SELECT count(*) FROM bookings WHERE event_id = e.id) FROM events e WHERE id = '$(event_id 3002)'")" \
    "$((B1_PER_CLIENT * CONNECTIONS))/$((B1_PER_CLIENT * CONNECTIONS))"
}

# --- B2 spread -------------------------------------------------------------------------------------------
# scenario_b2 NAME FIRST_EVENT: the service's run on events FIRST_EVENT..+999 (empty, 50 seats each); only b2 has
# a baseline (on events 1001..2000).
scenario_b2() {
  local name=$1 first=$2
  local last=$((first + 999))
  log "${name^^} spread: $B2_COUNT bookings of random (member, event) pairs over 1,000 events x 50 seats, $CONNECTIONS connections"
  : > "$RUN_DIR/$name.done"
  run_wrk "$name" -t"$THREADS" -c"$CONNECTIONS" -d"${SLICE_LIMIT}s" -s "$BENCH/book_random.lua" "$URL" \
    -- "$TOKEN_FILE" 1 "$MEMBERS" "$first" "$last" "$B2_COUNT" "$THREADS" "$RUN_DIR/$name.done"
  if [ "$name" = b2 ]; then
    log "B2 baseline: pgbench, the same transaction, $((B2_PER_CLIENT * CONNECTIONS)) random pairs on the baseline's 1,000 events"
    run_pgbench b2 -t "$B2_PER_CLIENT" -D status=confirmed -D kind=booking.confirmed -f "$RUN_DIR/pgbench/b2_book.sql"
  fi
  local range="BETWEEN '$(event_id "$first")' AND '$(event_id "$last")'"
  expect "$name" "responses in all" "$(wrk_field "$name" 'int(d["responses"])')" "$B2_COUNT"
  expect "$name" "events whose booked_count differs from their confirmed bookings or exceeds 50" "$(sql "
    SELECT count(*) FROM events e WHERE id $range AND (e.booked_count > 50 OR e.booked_count <>
      (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'confirmed'))")" 0
  expect "$name" "confirmed bookings in the database = 201 responses" \
    "$(sql "SELECT count(*) FROM bookings WHERE status = 'confirmed' AND event_id $range")" "$(wrk_count "$name" statuses 201)"
  expect "$name" "responses other than 201, 409 event_full, 409 already_booked" \
    "$(wrk_field "$name" 'int(d["responses"]) - int(d["statuses"].get("201", 0)) - int(d["codes"].get("event_full", 0)) - int(d["codes"].get("already_booked", 0))')" 0
  expect "$name" "socket errors" "$(socket_errors "$name")" 0
  if [ "$name" = b2 ]; then
    expect b2 "baseline: bookings on its events, events over 50" "$(sql "
      SELECT count(*) || ', ' || (SELECT count(*) FROM events WHERE id BETWEEN '$(event_id 1001)' AND '$(event_id 2000)' AND booked_count > 50)
      FROM bookings WHERE event_id BETWEEN '$(event_id 1001)' AND '$(event_id 2000)'")" "$((B2_PER_CLIENT * CONNECTIONS)), 0"
  fi
}

# --- B3 sell-out burst -----------------------------------------------------------------------------------
scenario_b3() {
  log "B3 sell-out: $B3_MEMBERS members at once for $B3_SEATS seats, $B3_CONNECTIONS connections"
  : > "$RUN_DIR/b3.done"
  run_wrk b3 -t"$THREADS" -c"$B3_CONNECTIONS" -d"${SLICE_LIMIT}s" -s "$BENCH/book_slice.lua" "$URL" \
    -- "$TOKEN_FILE" 3003 1 "$B3_MEMBERS" "$THREADS" "$RUN_DIR/b3.done"
  expect b3 "201 confirmed" "$(wrk_count b3 statuses 201)" "$B3_SEATS"
  expect b3 "409 event_full" "$(wrk_count b3 codes event_full)" "$((B3_MEMBERS - B3_SEATS))"
  expect b3 "other responses" "$(wrk_field b3 'int(d["responses"]) - int(d["statuses"].get("201", 0)) - int(d["codes"].get("event_full", 0))')" 0
  expect b3 "socket errors" "$(socket_errors b3)" 0
  expect b3 "confirmed / waitlisted bookings, booked_count in the database" "$(sql "
    SELECT count(*) FILTER (WHERE status = 'confirmed') || ' / ' || count(*) FILTER (WHERE status = 'waitlisted') || ' / '
           || (SELECT booked_count FROM events WHERE id = '$(event_id 3003)')
    FROM bookings WHERE event_id = '$(event_id 3003)'")" "$B3_SEATS / 0 / $B3_SEATS"
}

# expect_all_200 NAME: every response a 200 (with a page that holds items, for the paged lists) and no socket error.
expect_all_200() {
  expect "$1" "responses other than 200" "$(wrk_field "$1" 'int(d["responses"]) - int(d["statuses"].get("200", 0))')" 0
  expect "$1" "socket errors" "$(socket_errors "$1")" 0
}

# --- B4 browse -------------------------------------------------------------------------------------------
# scenario_b4 NAME: only b4 has a baseline.
scenario_b4() {
  local name=$1
  log "${name^^} browse: ${B4_SECONDS}s of GET /v1/events/{id} and GET /v1/events?from=..&limit=20, $CONNECTIONS connections"
  run_wrk "$name" -t"$THREADS" -c"$CONNECTIONS" -d"${B4_SECONDS}s" -s "$BENCH/browse.lua" "$URL" \
    -- "$TOKEN_FILE" "$MEMBERS" 1 1000 "$BASE_EPOCH"
  if [ "$name" = b4 ]; then
    log "B4 baseline: pgbench, the same SELECTs, ${B4_SECONDS}s"
    run_pgbench b4 -T "$B4_SECONDS" -f "$RUN_DIR/pgbench/b4_get.sql@1" -f "$RUN_DIR/pgbench/b4_list.sql@1"
  fi
  expect_all_200 "$name"
}

# --- B5 get event, B6 list events: B4's two requests apart, with cached tokens ------------------------------
scenario_reads() {
  log "B5 get event: ${READ_SECONDS}s of GET /v1/events/{id}, $READ_TOKENS cached tokens, $CONNECTIONS connections"
  run_wrk b5 -t"$THREADS" -c"$CONNECTIONS" -d"${READ_SECONDS}s" -s "$BENCH/reads.lua" "$URL" \
    -- "$TOKEN_FILE" 1 "$READ_TOKENS" get 1 1000
  expect_all_200 b5
  log "B6 list events: ${READ_SECONDS}s of GET /v1/events?from=..&limit=20, $READ_TOKENS cached tokens, $CONNECTIONS connections"
  run_wrk b6 -t"$THREADS" -c"$CONNECTIONS" -d"${READ_SECONDS}s" -s "$BENCH/reads.lua" "$URL" \
    -- "$TOKEN_FILE" 1 "$READ_TOKENS" list 1 1000 "$BASE_EPOCH"
  expect_all_200 b6
}

# --- B7 member pages, B8 booking pages (--scale): deep pages of the admin lists -----------------------------
# Cursors are made the way the service makes them (web/Cursor.java: base64url of {"k": created_at, "i": id}, the
# last item of the previous page), from rows far into each list (ORDER BY created_at, id, as the lists are sorted).
# make_cursors FILE QUERY: QUERY yields (created_at, id) rows.
make_cursors() {
  sql "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || ' ' || id FROM ($2) AS c" \
    | python3 -c '
import base64, json, sys
for line in sys.stdin:
    key, ident = line.split()
    text = json.dumps({"k": key, "i": ident}, separators=(",", ":"))
    print(base64.urlsafe_b64encode(text.encode()).decode().rstrip("="))' > "$1"
  [ -s "$1" ] || die "no cursor for $1"
}
# deep_rows TABLE: 200 random rows of the second half of a small table's list.
deep_rows() {
  echo "SELECT created_at, id FROM (SELECT created_at, id, row_number() OVER (ORDER BY created_at, id) AS r,
          count(*) OVER () AS n FROM $1) AS l WHERE r > n / 2 AND r < n - 40 ORDER BY random() LIMIT 200"
}
# scenario_pages SUFFIX MEMBER_ROWS BOOKING_ROWS
scenario_pages() {
  local suffix=$1 n path name
  make_cursors "$RUN_DIR/b7$suffix.cursors" "$2"
  make_cursors "$RUN_DIR/b8$suffix.cursors" "$3"
  for n in 7 8; do
    path=$([ "$n" = 7 ] && echo /v1/members || echo /v1/bookings)
    name="b$n$suffix"
    # warm-up, not measured: the JIT has not seen this list yet (on the small data), nor the grown table's pages
    run_wrk "warmup_$name" -t"$THREADS" -c"$CONNECTIONS" -d"$((WARMUP_SECONDS / 2))s" -s "$BENCH/reads.lua" "$URL" \
      -- "$ADMIN_FILE" 1 "$ADMIN_TOKENS" pages "$path" "$RUN_DIR/$name.cursors"
    log "${name^^} pages: ${READ_SECONDS}s of GET $path?limit=20&cursor=<deep>, $ADMIN_TOKENS admin tokens"
    run_wrk "$name" -t"$THREADS" -c"$CONNECTIONS" -d"${READ_SECONDS}s" -s "$BENCH/reads.lua" "$URL" \
      -- "$ADMIN_FILE" 1 "$ADMIN_TOKENS" pages "$path" "$RUN_DIR/$name.cursors"
    expect_all_200 "$name"
    expect "$name" "200 pages without items" "$(wrk_count "$name" codes empty_page)" 0
  done
}

# --- --scale: the data ---------------------------------------------------------------------------------------
seed_scale() {
  log "seeding at scale: $SCALE_MEMBERS members, $SCALE_EVENTS events, $((50 * SCALE_EVENTS)) bookings (bench/seed_scale.sql)"
  local start; start=$(date +%s)
  "${PSQL_DB[@]}" -v members="$SCALE_MEMBERS" -v events="$SCALE_EVENTS" -v base="'$BASE'" \
    -f "$BENCH/seed_scale.sql" > "$RUN_DIR/seed_scale.log" 2>&1 || { cat "$RUN_DIR/seed_scale.log" >&2; die "seeding at scale failed"; }
  echo "scale_seed_s=$(( $(date +%s) - start ))" >> "$RUN_DIR/meta.txt"
  log "seeded in $(( $(date +%s) - start )) s; checking the data"
  local members="BETWEEN 'a0000000-0000-4000-8001-000000000000' AND 'a0000000-0000-4000-8001-999999999999'"
  local events="BETWEEN 'b0000000-0000-4000-8001-000000000000' AND 'b0000000-0000-4000-8001-999999999999'"
  local bookings="BETWEEN 'c0000000-0000-4000-8001-000000000000' AND 'c0000000-0000-4000-8001-999999999999'"
  expect scale "seeded members, events, bookings" \
    "$(sql "SELECT (SELECT count(*) FROM members WHERE id $members) || ' / ' || (SELECT count(*) FROM events WHERE id $events)
            || ' / ' || (SELECT count(*) FROM bookings WHERE id $bookings)")" \
    "$SCALE_MEMBERS / $SCALE_EVENTS / $((50 * SCALE_EVENTS))"
  expect scale "events (all) whose booked_count / waitlist_count differ from their confirmed / waitlisted rows" "$(sql "
    SELECT count(*) FROM events e LEFT JOIN (
      SELECT event_id, count(*) FILTER (WHERE status = 'confirmed') AS c, count(*) FILTER (WHERE status = 'waitlisted') AS w
      FROM bookings GROUP BY event_id) b ON b.event_id = e.id
    WHERE e.booked_count <> coalesce(b.c, 0) OR e.waitlist_count <> coalesce(b.w, 0)")" 0
  expect scale "bookings whose event or member does not exist (the foreign keys, unchecked during the load)" "$(sql "
    SELECT count(*) FROM bookings b WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = b.event_id)
                                     OR NOT EXISTS (SELECT 1 FROM members m WHERE m.id = b.member_id)")" 0
  # one active booking per member and event: the unique index, rebuilt over every row after the load, says so
  expect scale "unique index bookings_one_active_per_member valid, events over capacity" "$(sql "
    SELECT (SELECT indisvalid FROM pg_index WHERE indexrelid = 'bookings_one_active_per_member'::regclass)
           || ', ' || (SELECT count(*) FROM events WHERE booked_count > capacity OR waitlist_count > waitlist_capacity)")" "true, 0"
  echo "scale_counts=$(sql "SELECT (SELECT count(*) FROM members) || ' members, ' || (SELECT count(*) FROM events) || ' events, '
    || (SELECT count(*) FROM bookings) || ' bookings'")" >> "$RUN_DIR/meta.txt"
}

# BENCH_ONLY: a quicker look at some scenarios (e.g. "b1 b3"; reads = B5 and B6), without --scale
wanted() { [ -z "${BENCH_ONLY:-}" ] || [[ " $BENCH_ONLY " == *" $1 "* ]]; }
if [ "$SCALE" = 0 ]; then
  if wanted b1; then scenario_b1; fi
  if wanted b2; then scenario_b2 b2 1; fi
  if wanted b3; then scenario_b3; fi
  if wanted b4; then scenario_b4 b4; fi
  if wanted reads; then scenario_reads; fi
else
  scenario_b2 b2 1
  scenario_b4 b4
  scenario_pages "" "$(deep_rows members)" "$(deep_rows bookings)"
  seed_scale
  scenario_b2 b2s 5001
  scenario_b4 b4s
  # deep into the seeded rows: members 500,000..999,000 and bookings 2,500,000..4,990,000 of the lists' order
  scenario_pages s \
    "SELECT created_at, id FROM members WHERE id IN (SELECT ('a0000000-0000-4000-8001-' || lpad((($SCALE_MEMBERS / 2) + (random() * $SCALE_MEMBERS * 0.49)::int)::text, 12, '0'))::uuid FROM generate_series(1, 200))" \
    "SELECT created_at, id FROM bookings WHERE id IN (SELECT ('c0000000-0000-4000-8001-' || lpad(((25 * $SCALE_EVENTS) + (random() * 50 * $SCALE_EVENTS * 0.49)::int)::text, 12, '0'))::uuid FROM generate_series(1, 200))"
fi

# --- stop, report ----------------------------------------------------------------------------------------
echo "service_vmhwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SERVICE_PID/status")" >> "$RUN_DIR/meta.txt"
echo "outbox_rows=$(sql "SELECT count(*) FROM outbox")" >> "$RUN_DIR/meta.txt"
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
kill "$SERVICE_PID"
for _ in $(seq 1 100); do kill -0 "$SERVICE_PID" 2>/dev/null || break; sleep 0.2; done
kill -0 "$SERVICE_PID" 2>/dev/null && kill -9 "$SERVICE_PID"
wait "$SERVICE_PID" 2>/dev/null || true
SERVICE_PID=""
kill "$JWKS_PID"; wait "$JWKS_PID" 2>/dev/null || true; JWKS_PID=""
if [ -n "$SINK_PID" ]; then
  kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null || true; SINK_PID=""   # writes otlp_sink.txt on SIGTERM
fi
echo "elapsed_s=$(( $(date +%s) - STARTED_AT ))" >> "$RUN_DIR/meta.txt"

python3 "$BENCH/report.py" "$RUN_DIR" > "$RUN_DIR/report.md"
if [ "$PROFILE" = 1 ]; then
  log "reading the JFR recordings"
  python3 "$BENCH/profile.py" "$RUN_DIR" >> "$RUN_DIR/report.md" 2> "$RUN_DIR/profile.log" \
    || { cat "$RUN_DIR/profile.log" >&2; log "warning: the profile summary failed (recordings in $RUN_DIR)"; }
fi
cat "$RUN_DIR/report.md"
if [ "$SAVE" = 1 ]; then
  mkdir -p "$BENCH/results"
  out="$BENCH/results/$(date -u +%Y-%m-%d)-$COMMIT.md"
  n=2
  while [ -e "$out" ]; do out="$BENCH/results/$(date -u +%Y-%m-%d)-$COMMIT-$n.md"; n=$((n + 1)); done
  cp "$RUN_DIR/report.md" "$out"
  log "saved to ${out#"$ROOT"/}"
fi
if grep -q "	FAIL	" "$RUN_DIR/checks.txt"; then
  log "some checks FAILED (work files in $RUN_DIR)"
  exit 1
fi
rm -f "$TOKEN_FILE" "$ADMIN_FILE"   # 20,000+ bearer tokens (2 h, this run's key only): not worth keeping
log "all checks passed in $(( $(date +%s) - STARTED_AT )) s (logs in $RUN_DIR)"
