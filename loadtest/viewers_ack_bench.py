"""Do viewers slow the witnesses? (docs/benchmarks.md, "10,000 viewers").
Plays the same Kalimantan Tengah night twice, each on a fresh database and a
fresh `suara serve`: without viewers, then with VIEWERS WebSocket viewers of
the server's own live feed, and prints the acknowledgement latency of both and
their ratio. The viewers run in --viewer-procs processes of their own (2), so
that the process sending the forms and timing their answers does nothing else
in both runs: what differs is the server's work only. Exit status: 0 when both runs verified (every answer, the HTTP
tallies and every viewer's last state equal to the expected totals).

Not part of ctest. Run:

    SUARA_TEST_PG="host=... port=... user=postgres" \\
        python3 loadtest/viewers_ack_bench.py [--viewers 10000] [--duration 30]
"""

import argparse
import json
import re
import os
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402

LOAD_BIN = os.environ.get("SUARA_LOAD_BIN") or os.path.join(harness.SOURCE_DIR, "build", "bin",
                                                             "suara-load")


def server_p99(server, name="suara_ack_latency_seconds"):
    """The upper bound of the bucket holding the 99th percentile of a
    histogram of the server's: by default its own acknowledgement latency
    (from the request read to its COMMIT), which the generator's own delays
    do not reach; suara_live_tick_seconds is the time of one live tick."""
    status, _, body = server.get("/metrics")
    assert status == 200, body
    buckets = [(float("inf") if le == "+Inf" else float(le), int(n)) for le, n in
               re.findall(rf'^{name}_bucket\{{le="([^"]+)"\}} (\d+)$', body, re.M)]
    total = buckets[-1][1]
    return next(le for le, n in buckets if n >= 0.99 * total)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def night(args, viewers):
    db = harness.Database("ackbench", migrate=True, seed=True)
    server = harness.Server(db, ready=True)
    out = os.path.join(harness.tmpdir(), f"ack-{viewers}.json")
    cmd = [LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port), "--server-pid",
           str(server.proc.pid), "--connections", str(args.connections), "--curve", "night",
           "--duration", str(args.duration), "--viewers", str(viewers), "--no-sql",
           "--settle-ms", "60000", "--out", out]
    if viewers:
        cmd += ["--viewer-procs", str(args.viewer_procs)]
    print("+", " ".join(cmd), flush=True)
    try:
        rc = subprocess.run(cmd).returncode
        with open(out) as f:
            return rc, json.load(f), (server_p99(server),
                                      server_p99(server, "suara_live_tick_seconds"))
    finally:
        server.stop()
        db.drop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--viewers", type=int, default=10000)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--connections", type=int, default=500)
    p.add_argument("--viewer-procs", type=int, default=2,
                   help="processes the viewers run in, apart from the witnesses' (0: the same one)")
    args = p.parse_args()
    harness.test_pg()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, args.viewers + 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    results = {}
    for n in (0, args.viewers):
        load = loadavg()
        rc, summary, p99 = night(args, n)
        ack = summary["forms"]["ack_latency"]
        cpu = summary["server"]["cpu_seconds"]
        gen = (summary["server"]["generator_cpu_seconds"],
               summary["server"]["viewer_procs_cpu_seconds"])
        results[n] = (rc, ack, cpu, load, p99, gen)
    for n, (rc, ack, cpu, load, p99, gen) in results.items():
        print(f"viewers_ack_bench: {n} viewers (load average {load} before, {loadavg()} after): "
              f"ack at the generator p50 {ack['p50_ms']:.1f} p99 {ack['p99_ms']:.1f} "
              f"max {ack['max_ms']:.1f} ms; at the server p99 <= {1000 * p99[0]:g} ms "
              f"(live ticks p99 <= {1000 * p99[1]:g} ms); server CPU {cpu:.2f} s; "
              f"witnesses' generator CPU {gen[0]:.2f} s, viewers' {gen[1]:.2f} s; "
              f"{'PASS' if rc == 0 else 'FAIL'}")
    base, with_viewers = results[0][1]["p99_ms"], results[args.viewers][1]["p99_ms"]
    print(f"viewers_ack_bench: ack p99 with viewers / without = "
          f"{with_viewers / base if base else float('inf'):.2f} at the generator, "
          f"{results[args.viewers][4][0] / results[0][4][0]:.2f} by the server's buckets")
    return 0 if all(r[0] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
