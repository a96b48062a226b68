"""Fan-out CPU per delivered frame, Suara's own live feed beside nginx's nchan
module, in one run (docs/benchmarks.md, "Fan-out beside nchan").

Starts on loopback a Redis, one nginx + nchan edge running the shipped
docs/deploy/nchan-edge.conf, and `suara serve --publish-url` to it; then plays
the same forms twice on fresh databases:

1. the baseline: no viewers (the server counts and publishes; the edge takes
   the publishes with nobody subscribed);
2. the comparison: `suara-load run --nchan EDGE --nchan-compare` with VIEWERS
   pairs, each pair watching the same node, one at the server's own
   /api/v1/live and one at the edge.

CPU is read from /proc for the server, the edge's nginx processes and Redis
from the moment suara-load starts sending to the moment every viewer shows the
newest seq (its "sending" and "settled" lines), so the connecting and the
first snapshots are not counted. The fan-out's CPU is the comparison's minus
the baseline's, per frame delivered in that window on each side. Exit status:
suara-load's for the comparison (0 when every viewer ended equal to the
expected totals).

Not part of ctest. Run:

    SUARA_TEST_PG="host=... port=... user=postgres" \\
        python3 loadtest/fanout_bench.py [--viewers 5000] [--rate 20] [--forms 600]
"""

import argparse
import json
import os
import re
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402
from edges import Edge, Redis  # noqa: E402

LOAD_BIN = os.environ.get("SUARA_LOAD_BIN") or os.path.join(harness.SOURCE_DIR, "build", "bin",
                                                             "suara-load")
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    """utime + stime of the processes, in seconds (0 for one that is gone)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except FileNotFoundError:
            pass
    return total / TICKS


def nginx_pids(master):
    """The master and its workers."""
    pids = [master]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                        pids.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                pass
    return pids


def play(args, viewers):
    """One night on a fresh database, Redis and edge (a channel's buffered
    messages would otherwise carry the last night's seqs into this one);
    returns the CPU of each process in the measured window, the frames
    delivered in it, and suara-load's summary."""
    redis = Redis()
    edge = Edge(redis)
    db = harness.Database("fanout", migrate=True, seed=True)
    server = harness.Server(db, "--publish-url", edge.publish_url, ready=True)
    out = os.path.join(harness.tmpdir(), f"fanout-{viewers}.json")
    procs = {"suara": [server.proc.pid], "nginx": nginx_pids(edge.proc.pid),
             "redis": [redis.proc.pid]}
    cmd = [LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port),
           "--server-pid", str(server.proc.pid), "--contests", "gub-", "--forms",
           str(args.forms), "--rate", str(args.rate), "--no-sql", "--out", out,
           "--settle-ms", "30000"]
    if viewers:
        cmd += ["--viewers", str(2 * viewers), "--viewers-province", str(args.province),
                "--viewers-kabupaten", str(1 - args.province), "--nchan",
                f"127.0.0.1:{edge.port}", "--nchan-compare"]
    print("+", " ".join(cmd), flush=True)
    start = end = None
    before = after = (0, 0)
    load = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        for line in load.stdout:
            print(line, end="", flush=True)
            m = re.match(r"viewers: .*\((\d+) messages, (\d+) of them from edges\)", line)
            if m:
                before = (int(m.group(1)), int(m.group(2)))
            if line.startswith("sending"):
                start = {k: cpu_seconds(p) for k, p in procs.items()}
            m = re.match(r"settled: (\d+) messages, (\d+) of them from edges", line)
            if m:
                after = (int(m.group(1)), int(m.group(2)))
                end = {k: cpu_seconds(p) for k, p in procs.items()}
            if line.startswith("sent") and not viewers:
                end = {k: cpu_seconds(p) for k, p in procs.items()}
        rc = load.wait()
        with open(out) as f:
            summary = json.load(f)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
        server.stop()
        db.drop()
        edge.stop()
        redis.stop()
    if start is None or end is None:
        raise SystemExit("fanout_bench: suara-load did not print its sending/settled lines")
    cpu = {k: end[k] - start[k] for k in procs}
    edge_frames = after[1] - before[1]
    direct_frames = (after[0] - after[1]) - (before[0] - before[1])
    return rc, cpu, direct_frames, edge_frames, summary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--viewers", type=int, default=5000, help="pairs (one at each side)")
    p.add_argument("--rate", type=float, default=20, help="forms per second")
    p.add_argument("--forms", type=int, default=600)
    p.add_argument("--province", type=float, default=0.5,
                   help="share of viewers on the province (the rest on kabupaten/kota)")
    args = p.parse_args()
    harness.test_pg()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 2 * args.viewers + 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[0]
    _, base, _, _, _ = play(args, 0)
    rc, cpu, direct, edge_frames, summary = play(args, args.viewers)
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[0]
    view = summary.get("viewers", {})
    suara = cpu["suara"] - base["suara"]
    nginx = cpu["nginx"] - base["nginx"]
    redis_cpu = cpu["redis"] - base["redis"]
    edge_bytes = view.get("edge_bytes", 0)
    direct_bytes = view.get("bytes", 0) - edge_bytes
    print(f"fanout_bench: load average {load_before} before, {load_after} after "
          f"(the machine is shared)")
    print(f"fanout_bench: CPU in the window: baseline suara {base['suara']:.2f} s, nginx "
          f"{base['nginx']:.2f} s, redis {base['redis']:.2f} s; with viewers suara "
          f"{cpu['suara']:.2f} s, nginx {cpu['nginx']:.2f} s, redis {cpu['redis']:.2f} s")
    print(f"fanout_bench: frames: suara {direct}, nchan {edge_frames}; bytes (whole run): "
          f"suara {direct_bytes / 1e6:.1f} MB, nchan {edge_bytes / 1e6:.1f} MB")
    if direct > 0 and edge_frames > 0:
        s_us, n_us = 1e6 * suara / direct, 1e6 * nginx / edge_frames
        print(f"fanout_bench: CPU per delivered frame: suara {s_us:.1f} us, nchan (nginx) "
              f"{n_us:.1f} us, ratio {s_us / n_us if n_us > 0 else float('inf'):.2f}; "
              f"redis {1e6 * redis_cpu / edge_frames:.2f} us per nchan frame")
    ack = summary.get("forms", {}).get("ack_latency", {})
    print(f"fanout_bench: result {'PASS' if rc == 0 else 'FAIL'}; ack p99 {ack.get('p99_ms')} ms")
    return rc


if __name__ == "__main__":
    sys.exit(main())
