#!/usr/bin/env python3
"""Renders a bench/run.sh run directory as the Markdown report (stdout)."""
import json
import os
import re
import sys

run = sys.argv[1]


def read(name, default=None):
    path = os.path.join(run, name)
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return f.read()


meta = dict(line.split("=", 1) for line in read("meta.txt", "").splitlines() if "=" in line)
checks = [line.split("\t") for line in read("checks.txt", "").splitlines() if line.strip()]
rss, cpu = [], []
for line in read("rss.txt", "").splitlines():
    parts = line.split()
    if len(parts) >= 2:
        rss.append((int(parts[0]), int(parts[1])))
    if len(parts) >= 3:
        # time, CPU ms of all threads, then (newer runs) of the JIT compiler's and of the GC's threads
        cpu.append((int(parts[0]), [int(v) for v in parts[2:5]]))


def conf_section(name):
    """key/value pairs of a top-level section of conf/application.yaml (the service's defaults)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conf", "application.yaml")
    pairs, inside = [], False
    if not os.path.exists(path):
        return pairs
    for line in open(path):
        if not line.startswith(" ") and line.strip():
            inside = line.split(":")[0].strip() == name
            continue
        m = re.match(r"^  (\w+):\s*([^#]*?)\s*(#|$)", line)
        if inside and m:
            pairs.append((m.group(1), m.group(2)))
    return pairs


def wrk(name):
    text = read(f"{name}.wrk.json")
    return json.loads(text) if text else None


def pgbench(name):
    text = read(f"{name}.pgbench.txt")
    if text is None:
        return None
    out = {"status": (read(f"{name}.pgbench.status") or "?").strip()}
    m = re.search(r"^tps = ([\d.]+)", text, re.M)
    out["tps"] = float(m.group(1)) if m else None
    m = re.search(r"latency average = ([\d.]+) ms", text)
    out["latency_ms"] = float(m.group(1)) if m else None
    m = re.search(r"number of transactions actually processed: (\d+)", text)
    out["processed"] = int(m.group(1)) if m else None
    m = re.search(r"number of failed transactions: (\d+)", text)
    out["failed"] = int(m.group(1)) if m else 0
    m = re.search(r"duration: (\d+) s", text)
    out["duration"] = m.group(1) if m else None
    return out


def peak_rss(name):
    window = read(f"{name}.window")
    if not window:
        return None
    start, end = (int(x) for x in window.split())
    inside = [kb for t, kb in rss if start - 300 <= t <= end + 300]
    return max(inside) if inside else None


def cpu_split(name):
    """CPU time (ms) the service spent during the scenario's window, [all threads, JIT, GC] (the last two None in
    older runs): last sample inside minus the one before it."""
    window = read(f"{name}.window")
    if not window or not cpu:
        return None
    start, end = (int(x) for x in window.split())
    before = [c for t, c in cpu if t <= start]
    inside = [c for t, c in cpu if t <= end]
    if not before or not inside:
        return None
    a, b = before[-1], inside[-1]
    return [b[i] - a[i] if i < len(a) and i < len(b) else None for i in range(3)]


def cpu_ms(name):
    split = cpu_split(name)
    return split[0] if split else None


def jit_us_per_request(name):
    """The JIT compiler's CPU time per response (µs): what a scenario still paid for warming up."""
    w, split = wrk(name), cpu_split(name)
    if not w or not split or split[1] is None or int(w["responses"]) == 0:
        return None
    return 1000.0 * split[1] / int(w["responses"])


def n(value):
    return "—" if value is None else f"{value:,.0f}"


def ms(us):
    if us is None:
        return "—"
    v = us / 1000
    return f"{v:.2f} ms" if v < 10 else f"{v:.1f} ms" if v < 100 else f"{v:,.0f} ms"


def mib(kb):
    return "—" if kb is None else f"{kb / 1024:,.0f} MiB"


def rate(w):
    return w["requests"] / (w["duration_us"] / 1e6) if w and w["duration_us"] else None


def non2xx(w):
    total = int(w["responses"])
    ok = sum(int(v) for k, v in w["statuses"].items() if k.startswith("2"))
    return total - ok, int(w["statuses"].get("409", 0))


def socket_errors(w):
    return int(sum(w["errors"][k] for k in ("connect", "read", "write", "timeout")))


def codes(w):
    parts = [f"{int(v):,} × {k}" for k, v in sorted(w["statuses"].items())]
    parts += [f"{int(v):,} × `{k}`" for k, v in sorted(w["codes"].items())]
    return ", ".join(parts)


def cpu_us_per_request(name):
    """The service's CPU time per response of a scenario (µs), or None."""
    w, spent = wrk(name), cpu_ms(name)
    return 1000.0 * spent / int(w["responses"]) if w and spent is not None and int(w["responses"]) > 0 else None


def us(value):
    return "—" if value is None else f"{value:,.0f}"


scenarios = [
    ("b1", "B1 hot event"),
    ("b2", "B2 spread"),
    ("b3", "B3 sell-out burst"),
    ("b4", "B4 browse"),
    ("b5", "B5 get event"),
    ("b6", "B6 list events"),
    ("b7", "B7 member pages"),
    ("b8", "B8 booking pages"),
]
scale = meta.get("scale") == "1"
if not scale:  # B7 and B8 run with --scale only
    scenarios = [(k, label) for k, label in scenarios if k not in ("b7", "b8")]
else:  # --scale: B1, B3, B5 and B6 are not run; each of the others again after the data grew
    scenarios = [(k + "s", label + " at scale") for k, label in scenarios if k in ("b2", "b4", "b7", "b8")]
    scenarios = [s for k, label in scenarios for s in ((k[:-1], label[:-len(" at scale")]), (k, label))]

out = []
quick = meta.get("mode") == "quick"
title = "Roster booking benchmark" + (" (--quick smoke run: numbers not meaningful)" if quick else "")
out.append(f"# {title}\n")
dirty = " with uncommitted changes" if meta.get("dirty") == "yes" else ""
options = "".join(f" --{o}" for o in ("quick", "production", "profile", "scale")
                  if (o == "quick" and quick) or meta.get(o) == "1")
jar = f", jar `{meta['jar']}` (given by BENCH_JAR)" if meta.get("jar") else ""
out.append(f"{meta.get('date', '?')}, commit `{meta.get('commit', '?')}` ({meta.get('branch', '?')}){dirty}{jar}, "
           f"`bench/run.sh{options}`, {meta.get('elapsed_s', '?')} s in all. Settings: "
           + ("**production** (rate limits on, tracing on at 10 % sampling)" if meta.get("production") == "1" else
              "default (rate limits as in conf/application.yaml, tracing off)")
           + (f"; BENCH_SERVICE_ENV `{meta['service_env']}`" if meta.get("service_env") else "") + ".\n")

out.append("| scenario | requests/s | baseline tx/s | ratio | p50 | p99 | non-2xx (409) | errors | peak RSS | CPU µs/req | of it JIT |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
summary = {}
for key, label in scenarios:
    w = wrk(key)
    if w is None:
        out.append(f"| {label} | not run | | | | | | | | | |")
        continue
    p = pgbench(key)
    r = rate(w)
    base = p["tps"] if p else None
    ratio = f"{r / base:.2f}x" if r and base else "—"
    bad, conflicts = non2xx(w)
    lat = w["latency_us"]
    cpu_us = cpu_us_per_request(key)
    jit_us = jit_us_per_request(key)
    summary[key] = {"label": label, "rate": r, "cpu_us": cpu_us, "jit_us": jit_us, "p50_us": lat["p50"],
                    "p99_us": lat["p99"]}
    out.append(f"| {label} | {n(r)} | {n(base) if p else 'none'} | {ratio} | {ms(lat['p50'])} | "
               f"{ms(lat['p99'])} | {bad:,} ({conflicts:,}) | {socket_errors(w):,} | {mib(peak_rss(key))} | {us(cpu_us)} | {us(jit_us)} |")
out.append("")
out.append("requests/s: responses per second of the wrk run (wrk's own count over its elapsed time). baseline tx/s: "
           "pgbench transactions per second (without connection time). ratio = requests/s ÷ baseline tx/s. "
           "p50/p99: wrk latency. errors: socket errors (connect, read, write, timeout). peak RSS: highest resident "
           "set of the service process sampled during the scenario's wrk run. CPU µs/req: the service's CPU time "
           "(user + system, from /proc) during the run ÷ responses, all its threads; of it JIT: the part of the JIT "
           "compiler's threads (what the scenario still paid for warming up).\n")
with open(os.path.join(run, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)

if scale:
    out.append(f"**At scale** (after bench/seed_scale.sql added {meta.get('scale_counts', '?')} in all, seeded in "
               f"{meta.get('scale_seed_s', '?')} s), against the same scenario on the small data just before "
               "(target: within 20 %, a ratio ≥ 0.80):\n")
    out.append("| scenario | small req/s | at scale req/s | scale ÷ small | CPU µs/req small / at scale | p99 small / at scale |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for key in ("b2", "b4", "b7", "b8"):
        a, b = summary.get(key), summary.get(key + "s")
        if a and b:
            ratio = f"{b['rate'] / a['rate']:.2f}x" if a["rate"] and b["rate"] else "—"
            out.append(f"| {a['label']} | {n(a['rate'])} | {n(b['rate'])} | {ratio} | {us(a['cpu_us'])} / "
                       f"{us(b['cpu_us'])} | {ms(a['p99_us'])} / {ms(b['p99_us'])} |")
    out.append("")

b3 = wrk("b3")
if b3:
    first = b3.get("first_sent")
    sold = (b3["last_created"] - first) if first and b3.get("last_created") else None
    drained = (b3["last_received"] - first) if first and b3.get("last_received") else None
    lat = b3["latency_us"]
    out.append(f"**B3 sell-out:** {meta.get('b3_seats')} seats, {int(b3['responses']):,} members at once on "
               f"{meta.get('b3_connections')} connections. Sold out "
               f"{'in %.2f s' % sold if sold is not None else '—'} (first request sent → last 201 received); every "
               f"member answered in {'%.2f s' % drained if drained is not None else '—'}. Latency p50 / p99 / max = "
               f"{ms(lat['p50'])} / {ms(lat['p99'])} / {ms(lat['max'])}. Responses: {codes(b3)}.\n")

out.append("## Details\n")
for key, label in scenarios:
    w = wrk(key)
    if w is None:
        continue
    p = pgbench(key)
    lat = w["latency_us"]
    line = (f"- **{label}**: {int(w['responses']):,} responses in {w['duration_us'] / 1e6:.2f} s "
            f"({codes(w)}); latency mean {ms(lat['mean'])}, p90 {ms(lat['p90'])}, p99.9 {ms(lat['p999'])}, "
            f"max {ms(lat['max'])}; cores {meta.get(key + '_busy_before', '?')} % busy just before.")
    spent = cpu_ms(key)
    if spent is not None and int(w["responses"]) > 0:
        line += f" Service CPU: {spent / int(w['responses']):.2f} ms per response ({spent / 1000:.1f} s in all)."
    if p:
        line += (f" Baseline: {n(p['processed'])} transactions, {p['tps']:,.0f} tx/s, latency average "
                 f"{p['latency_ms']:.2f} ms, failed {p['failed']}, exit {p['status']}; cores "
                 f"{meta.get(key + '_baseline_busy_before', '?')} % busy just before." if p["tps"] else
                 f" Baseline: failed (exit {p['status']}), see {key}.pgbench.txt.")
    out.append(line)
w, wb = wrk("warmup"), wrk("warmup_browse")
if w:
    rounds = meta.get("warmup_rounds")
    out.append(f"- Warm-up (not measured): {rounds + ' round(s) of ' if rounds else ''}"
               f"{meta.get('warmup_seconds')} s of random bookings on 100 other events by "
               f"{int(meta.get('warm_members', 0)):,} other members, {n(rate(w))} requests/s ({codes(w)})"
               + (f"; then {int(meta.get('warmup_seconds', 0)) // 2} s of browsing them, {n(rate(wb))} requests/s"
                  if wb else "")
               + (f" (last round shown). The JIT compiler's share of the service's CPU, round by round: "
                  f"{meta.get('warmup_jit_percent')} %; the warm-up ends after a round at "
                  f"≤ {meta.get('warmup_jit_limit', '5')} % (or after {meta.get('warmup_max_rounds', '?')} rounds)."
                  if rounds else "."))
out.append("")

out.append("## Checks\n")
for scenario, verdict, text in checks:
    out.append(f"- {verdict} {scenario.upper()}: {text}")
out.append("")

out.append("## Machine\n")
out.append(f"- {meta.get('cores')} cores, {meta.get('cpu')}, {meta.get('ram')} RAM, {meta.get('kernel')}; "
           f"before the run the cores were {meta.get('cpu_busy_before', '?')} % busy (1 s sample), load average "
           f"{meta.get('load')}; the service, PostgreSQL, wrk and pgbench share the cores")
out.append(f"- PostgreSQL {meta.get('pg_server')} on 127.0.0.1 ({meta.get('pg_settings')}); "
           f"{meta.get('psql')}; {meta.get('pgbench')}")
out.append(f"- {meta.get('java')}; {meta.get('wrk')}")
out.append("")

out.append("## Settings\n")
out.append(f"- Service: `java {meta.get('java_opts')} -jar roster-service.jar start`, ROSTER_HTTP_INSTANCES="
           f"{meta.get('http_instances')}, ROSTER_PG_POOL_SIZE={meta.get('pool_size')} (a pool per HTTP instance), "
           f"ROSTER_RELAY_INSTANCES=0, ROSTER_WORKER_INSTANCES=0, ROSTER_SCHEDULER_ENABLED=false (outbox rows are "
           f"written, not relayed: {n(int(meta['outbox_rows']) if meta.get('outbox_rows') else None)} at the end); "
           f"peak RSS over the whole run {mib(int(meta['service_vmhwm_kb']) if meta.get('service_vmhwm_kb') else None)}.")
bookings = conf_section("bookings")
if bookings:
    out.append("- Bookings (conf/application.yaml" + (", overridden by the environment below" if meta.get("service_env") else "")
               + "): " + ", ".join(f"{k}={v}" for k, v in bookings) + ".")
if meta.get("production") == "1":
    out.append(f"- Production settings (--production): `{meta.get('production_env', '')}` (the sink is bench/otlp_sink.py: "
               f"{(read('otlp_sink.txt') or 'no count').strip()}). The rate limits are their defaults "
               f"(`rate.*` in conf/application.yaml), not raised: B5..B8 spread their requests over "
               f"{meta.get('read_tokens')} member and {meta.get('admin_tokens')} admin tokens, which keeps each caller "
               f"below its limit (a 429 would fail the checks).")
else:
    rate_conf = dict(conf_section("rate"))
    out.append(f"- Rate limits: rate.enabled={rate_conf.get('enabled', '?')} (conf/application.yaml) unless "
               "BENCH_SERVICE_ENV sets ROSTER_RATE_ENABLED; tracing off (no OTLP endpoint).")
if meta.get("service_env"):
    out.append(f"- Extra service environment (BENCH_SERVICE_ENV): `{meta['service_env']}`.")
out.append(f"- wrk: {meta.get('threads')} threads, {meta.get('connections')} connections "
           f"(B3: {meta.get('b3_connections')}), `--timeout 30s`. pgbench: `-n -M prepared -c "
           f"{meta.get('connections')} -j {meta.get('threads')}`.")
out.append(f"- B1: {int(meta.get('b1_count', 0)):,} bookings by distinct members (baseline: "
           f"{int(meta.get('b1_baseline_count', 0)):,} on a copy of the event, 1,000,000 seats). "
           f"B2: {int(meta.get('b2_count', 0)):,} random (member, event) pairs on 1,000 events × 50 seats, "
           f"{int(meta.get('members', 0)):,} members (baseline: {int(meta.get('b2_baseline_count', 0)):,} distinct random "
           f"pairs on 1,000 other events × 50 seats). B3: {int(meta.get('b3_members', 0)):,} members, "
           f"{meta.get('b3_seats')} seats. B4: {meta.get('b4_seconds')} s each, half GET by id, half list. "
           f"B5, B6 (and B7, B8 with --scale): {meta.get('read_seconds')} s each, tokens taken in turn from "
           f"{meta.get('read_tokens')} member tokens (B7, B8: {meta.get('admin_tokens')} admin tokens), each verified "
           f"once and then cached; B7/B8 ask for pages 20 items deep into the second half of the member/booking list.")
conns = [(k[:-len("_connections_before")], v) for k, v in meta.items() if k.endswith("_connections_before")]
if conns:
    out.append("- PostgreSQL client connections open before each baseline (the service's pools, idle): "
               + ", ".join(f"{k.upper()} {v}" for k, v in conns) + ".")
out.append("")
print("\n".join(out))
