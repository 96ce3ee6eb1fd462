#!/usr/bin/env python3
"""Summarises the JFR recordings of a `bench/run.sh --profile` run (Markdown on stdout): per scenario, where the
service's threads spent their CPU samples (jdk.ExecutionSample, read with the JDK's `jfr print`):

- by area: each sample is charged to the innermost frame outside the JDK (java.*, jdk.*, sun.*), so a HashMap
  lookup made by the JSON-schema validator counts as validation; the areas are libraries (netty, vertx-web,
  openapi/json-schema, jackson, pg client, micrometer, ...) and this repository's own packages (src/main/java);
- by thread: event loops, workers, the others;
- the top frames by self time (the frame that was running).

    profile.py RUN_DIR [TOP]      reads RUN_DIR/<scenario>.jfr (TOP frames each, 20 by default)
"""
import collections
import glob
import os
import re
import subprocess
import sys

run = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 20

LABELS = {"b1": "B1 hot event", "b2": "B2 spread", "b3": "B3 sell-out burst", "b4": "B4 browse",
          "b5": "B5 get event", "b6": "B6 list events", "b7": "B7 member pages", "b8": "B8 booking pages"}

# Class-name prefixes, first match wins (the more specific before the general).
AREAS = [
    (("io.vertx.openapi.", "io.vertx.json.schema.", "io.vertx.ext.web.openapi.", "com.networknt."), "openapi/json-schema"),
    (("io.vertx.ext.web.",), "vertx-web"),
    (("io.vertx.pgclient.", "io.vertx.sqlclient."), "pg client"),
    (("io.vertx.micrometer.", "io.micrometer.", "io.prometheus."), "micrometer"),
    (("io.opentelemetry.", "io.vertx.tracing."), "tracing (OpenTelemetry)"),
    (("io.vertx.ext.auth.", "com.nimbusds.", "io.jsonwebtoken."), "auth libraries"),
    (("io.netty.",), "netty"),
    (("com.fasterxml.jackson.",), "jackson"),
    (("io.vertx.core.",), "vertx-core"),
    (("com.hazelcast.",), "hazelcast"),
    (("org.slf4j.", "ch.qos.logback.", "org.apache.logging."), "logging"),
]
JDK = ("java.", "javax.", "jdk.", "sun.", "com.sun.")
SOURCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "main", "java")
OURS = {d for d in os.listdir(SOURCES) if os.path.isdir(os.path.join(SOURCES, d))} if os.path.isdir(SOURCES) else set()


def area(cls):
    for prefixes, name in AREAS:
        if cls.startswith(prefixes):
            return name
    first = cls.split(".", 1)[0]
    if first in OURS and "." in cls:
        return "ours: " + first
    return "other: " + ".".join(cls.split(".")[:2])


def thread_group(name):
    if name.startswith("vert.x-eventloop"):
        return "event loops"
    if name.startswith(("vert.x-worker", "vert.x-internal-blocking")):
        return "vert.x workers"
    if name.startswith("hz."):
        return "hazelcast"
    return "other threads"


def method_of(frame):
    """'a.b.C.m(int, String) line: 12' -> 'a.b.C.m'."""
    return frame.split("(", 1)[0].strip()


def samples(path):
    """Yields (thread name, [frames, top first]) per jdk.ExecutionSample of a recording."""
    proc = subprocess.Popen(["jfr", "print", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                            stdout=subprocess.PIPE, text=True, bufsize=1 << 20)
    thread, frames, in_stack = None, [], False
    for line in proc.stdout:
        s = line.strip()
        if s == "jdk.ExecutionSample {":
            thread, frames, in_stack = "?", [], False
        elif s.startswith("sampledThread = "):
            m = re.match(r'sampledThread = "(.*?)"', s)
            thread = m.group(1) if m else "?"
        elif s == "stackTrace = [":
            in_stack = True
        elif in_stack and s == "]":
            in_stack = False
        elif in_stack and s and s != "...":
            frames.append(method_of(s))
        elif s == "}" and thread is not None:
            yield thread, frames
            thread = None
    if proc.wait() != 0:
        raise RuntimeError(f"jfr print failed on {path}")


def pct(count, total):
    return f"{100.0 * count / total:.1f} %"


def summarise(name, path):
    total = 0
    self_time, areas, threads = collections.Counter(), collections.Counter(), collections.Counter()
    for thread, frames in samples(path):
        if not frames:
            continue
        total += 1
        self_time[frames[0]] += 1
        threads[thread_group(thread)] += 1
        owner = next((f for f in frames if not f.startswith(JDK)), None)
        areas[area(owner.rsplit(".", 1)[0]) if owner else "JDK only (no caller outside it)"] += 1
    out = [f"### {LABELS.get(name[:2], name)}{' at scale' if name.endswith('s') else ''} (`{os.path.basename(path)}`)\n"]
    if total == 0:
        out.append("No execution samples.\n")
        return out
    out.append(f"{total:,} samples. By area (JDK frames charged to their nearest caller outside the JDK): "
               + ", ".join(f"{a} {pct(c, total)}" for a, c in areas.most_common()) + ".\n")
    out.append("By thread: " + ", ".join(f"{t} {pct(c, total)}" for t, c in threads.most_common()) + ".\n")
    out.append(f"| self | top {top} frames by self time | area |")
    out.append("|---:|---|---|")
    for frame, count in self_time.most_common(top):
        cls = frame.rsplit(".", 1)[0]
        out.append(f"| {pct(count, total)} | `{frame}` | {'JDK' if cls.startswith(JDK) else area(cls)} |")
    out.append("")
    return out


def order(path):
    window = path[:-len(".jfr")] + ".window"
    return os.path.getmtime(window) if os.path.exists(window) else os.path.getmtime(path)


recordings = sorted(glob.glob(os.path.join(run, "*.jfr")), key=order)
out = ["## Profile\n",
       f"JFR recordings (settings=profile: a stack sample of each running Java thread every 10 ms), one per scenario, "
       f"in `{run}`. Open them in JDK Mission Control, or `jfr print --events jdk.ExecutionSample FILE`. A recording "
       f"costs the service a little CPU: compare the CPU per request of a profiled run only with another profiled "
       f"run.\n"]
for path in recordings:
    out += summarise(os.path.basename(path)[:-len(".jfr")], path)
print("\n".join(out))
