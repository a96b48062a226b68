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
        python3 loadtest/viewers_ack_bench.py [--viewers 10000] [--duration 30] [--rounds 3]
"""

import argparse
import json
import re
import os
import statistics
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


def server_counter(server, name):
    """A counter of the server's /metrics (0 where it is absent)."""
    status, _, body = server.get("/metrics")
    assert status == 200, body
    found = re.search(rf"^{name} (\S+)$", body, re.M)
    return float(found.group(1)) if found else 0.0


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def night(args, viewers):
    db = harness.Database("ackbench", migrate=True, seed=True)
    live_port = harness.free_port() if args.live_listen else None
    extra = ["--live-listen", f"127.0.0.1:{live_port}", "--live-nice", str(args.live_nice)] \
        if live_port else []
    server = harness.Server(db, *extra, ready=True)
    out = os.path.join(harness.tmpdir(), f"ack-{viewers}.json")
    cmd = [LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port), "--server-pid",
           str(server.proc.pid), "--connections", str(args.connections), "--curve", "night",
           "--duration", str(args.duration), "--viewers", str(viewers), "--no-sql",
           "--settle-ms", "60000", "--out", out]
    if viewers and live_port:
        cmd += ["--live-port", str(live_port)]
    if viewers:
        cmd += ["--viewer-procs", str(args.viewer_procs), "--viewer-nice", str(args.viewer_nice)]
    print("+", " ".join(cmd), flush=True)
    try:
        wait0 = server_counter(server, "suara_loop_runqueue_wait_seconds_total")
        rc = subprocess.run(cmd).returncode
        with open(out) as f:
            return rc, json.load(f), (server_p99(server),
                                      server_p99(server, "suara_live_tick_seconds"),
                                      server_counter(server,
                                                     "suara_loop_runqueue_wait_seconds_total")
                                      - wait0)
    finally:
        server.stop()
        db.drop()


def one_night(args, n):
    """One night's figures, printed as one line; (passed, p99 at the
    generator, p99 bucket at the server)."""
    load = loadavg()
    rc, summary, p99 = night(args, n)
    ack = summary["forms"]["ack_latency"]
    srv = summary["server"]
    print(f"viewers_ack_bench: {n} viewers (load average {load} before, {loadavg()} after): "
          f"ack at the generator p50 {ack['p50_ms']:.1f} p99 {ack['p99_ms']:.1f} "
          f"max {ack['max_ms']:.1f} ms; at the server p99 <= {1000 * p99[0]:g} ms "
          f"(live ticks p99 <= {1000 * p99[1]:g} ms); server CPU {srv['cpu_seconds']:.2f} s, "
          f"its loop waiting for a CPU {p99[2]:.2f} s; "
          f"witnesses' generator CPU {srv['generator_cpu_seconds']:.2f} s, "
          f"viewers' {srv['viewer_procs_cpu_seconds']:.2f} s; {'PASS' if rc == 0 else 'FAIL'}",
          flush=True)
    return rc == 0, ack["p99_ms"], p99[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--viewers", type=int, default=10000)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--connections", type=int, default=500)
    p.add_argument("--viewer-procs", type=int, default=2,
                   help="processes the viewers run in, apart from the witnesses' (0: the same one)")
    p.add_argument("--viewer-nice", type=int, default=0,
                   help="nice increment of the viewers' processes (10: they take only the CPU "
                        "the server and the witnesses leave, as if on machines of their own)")
    p.add_argument("--live-listen", action="store_true",
                   help="the server serves the feed from its live thread (--live-listen), the "
                        "viewers read it there; both nights, so that only the viewers differ")
    p.add_argument("--live-nice", type=int, default=10,
                   help="with --live-listen: the live thread's nice increment")
    p.add_argument("--rounds", type=int, default=1,
                   help="pairs of nights (without, with viewers), one after the other; the "
                        "median of their ratios is the figure")
    args = p.parse_args()
    harness.test_pg()
    harness.raise_open_files(args.viewers)
    passed, ratios = True, []
    for r in range(args.rounds):
        ok0, base, server_base = one_night(args, 0)
        ok1, with_viewers, server_with = one_night(args, args.viewers)
        passed = passed and ok0 and ok1
        ratios.append(with_viewers / base if base else float("inf"))
        print(f"viewers_ack_bench: round {r + 1}: ack p99 with viewers / without = "
              f"{ratios[-1]:.2f} at the generator, {server_with / server_base:.2f} by the "
              f"server's buckets", flush=True)
    if args.rounds > 1:
        print(f"viewers_ack_bench: median of {args.rounds} rounds: "
              f"{statistics.median(ratios):.2f} (all: {', '.join(f'{x:.2f}' for x in ratios)})")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
