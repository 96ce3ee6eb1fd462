#!/usr/bin/env bash
# Before and after: bench/run.sh on the jar of an older commit REF and on the working tree's jar, back to back,
# with the same options, then a table of both runs' rates and service CPU per request and their ratios.
#
#   bench/compare.sh REF [bench/run.sh options]      e.g. bench/compare.sh main --quick --production
#
# REF is built in a temporary `git worktree` (its own target directory, removed at the end) with
# `mvn -q -B -o -DskipTests package`; the working tree's jar is built into target/bench as bench/run.sh does. Both
# runs use this working tree's bench scripts (and its booking.sql for the pgbench baselines), so only the jar
# differs. Their reports stay in the directory printed at the end (before/, after/); neither is saved to
# bench/results. On a machine where benchmarks take turns under a lock file, set BENCH_LOCK to it: the script
# takes it (flock) once both jars are built and holds it for the two runs, so nothing runs between them:
#   BENCH_LOCK=/tmp/bench.lock bench/compare.sh REF --quick
set -euo pipefail

if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
REF=$1
shift
for arg in "$@"; do
  case "$arg" in
    --no-build|--save) echo "compare: $arg does not apply (both jars are built here, neither run is saved)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
log() { printf '%s compare: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
REF_COMMIT=$(git rev-parse --short "$REF^{commit}") || { log "no such commit: $REF"; exit 2; }
HEAD_COMMIT=$(git rev-parse --short HEAD)
DIRTY=$([ -n "$(git status --porcelain -- . ':!bench')" ] && echo " with uncommitted changes" || true)
OUT=$(mktemp -d "${TMPDIR:-/tmp}/roster-compare.XXXXXX")
WT="$OUT/ref-worktree"

cleanup() {
  local status=$?
  if [ -d "$WT" ]; then
    git worktree remove --force "$WT" > /dev/null 2>&1 || true
  fi
  git worktree prune > /dev/null 2>&1 || true
  [ "$status" = 0 ] || log "failed; logs in $OUT"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building $REF ($REF_COMMIT) in a temporary worktree"
git worktree add --detach "$WT" "$REF_COMMIT" > "$OUT/worktree.log" 2>&1 || { cat "$OUT/worktree.log" >&2; exit 1; }
(cd "$WT" && nice -n 10 mvn -q -B -o -DskipTests -DbuildDir="$WT/target/compare" package) > "$OUT/build-before.log" 2>&1 \
  || { tail -30 "$OUT/build-before.log" >&2; log "the build of $REF failed"; exit 1; }
# (a commit whose pom.xml has no buildDir property builds into its own target/)
BEFORE_JAR=$(find "$WT/target" -name roster-service.jar -print -quit)
[ -n "$BEFORE_JAR" ] || { log "no roster-service.jar in $WT/target"; exit 1; }
cp "$BEFORE_JAR" "$OUT/before.jar"
git worktree remove --force "$WT" > /dev/null 2>&1 || true

log "building the working tree ($HEAD_COMMIT$DIRTY) into target/bench"
nice -n 10 mvn -q -B -o -DskipTests -DbuildDir="$ROOT/target/bench" package > "$OUT/build-after.log" 2>&1 \
  || { tail -30 "$OUT/build-after.log" >&2; log "the build of the working tree failed"; exit 1; }
cp "$ROOT/target/bench/roster-service.jar" "$OUT/after.jar"

if [ -n "${BENCH_LOCK:-}" ]; then
  log "waiting for $BENCH_LOCK"
  exec 9> "$BENCH_LOCK"
  flock 9
fi
STATUS=0
for side in before after; do
  log "bench/run.sh $* on the $side jar (report in $OUT/$side)"
  BENCH_JAR="$OUT/$side.jar" BENCH_RUN_DIR="$OUT/$side" bench/run.sh --no-save "$@" > "$OUT/$side.md" 9>&- \
    || { STATUS=1; log "the $side run failed or some of its checks failed (see $OUT/$side.md, $OUT/$side)"; }
done

python3 - "$OUT" "$REF ($REF_COMMIT)" "working tree ($HEAD_COMMIT$DIRTY)" "$*" <<'PY' | tee "$OUT/compare.md"
import json, os, sys
out, before_name, after_name, options = sys.argv[1:5]


def load(side):
    path = os.path.join(out, side, "summary.json")
    return json.load(open(path)) if os.path.exists(path) else {}


before, after = load("before"), load("after")
print(f"# Before / after: {before_name} → {after_name}\n")
print(f"`bench/run.sh {options}` on each jar, back to back. CPU µs/req: the service's CPU time per response "
      "(what other load on the machine moves least), and of it the JIT compiler's; ratio = after ÷ before (CPU: below 1 "
      "is better).\n")
print("| scenario | req/s before | req/s after | after ÷ before | CPU µs/req before | CPU µs/req after | after ÷ before "
      "| of it JIT before / after |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
fmt = lambda v: "—" if v is None else f"{v:,.0f}"
ratio = lambda a, b: f"{b / a:.2f}x" if a and b else "—"
for key in sorted(set(before) | set(after), key=lambda k: (k[:2], k)):
    b, a = before.get(key, {}), after.get(key, {})
    print(f"| {(a or b)['label']} | {fmt(b.get('rate'))} | {fmt(a.get('rate'))} | {ratio(b.get('rate'), a.get('rate'))} "
          f"| {fmt(b.get('cpu_us'))} | {fmt(a.get('cpu_us'))} | {ratio(b.get('cpu_us'), a.get('cpu_us'))} "
          f"| {fmt(b.get('jit_us'))} / {fmt(a.get('jit_us'))} |")
print(f"\nReports: {out}/before.md, {out}/after.md (work files in {out}/before, {out}/after).")
PY
exit "$STATUS"
