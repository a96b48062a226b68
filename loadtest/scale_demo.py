"""The scale demonstration (docs/benchmarks.md, "Viewers through nchan
edges"): on one machine, two real nginx + nchan edges sharing a real Redis,
Suara publishing to the first (--publish-url), VIEWERS WebSocket viewers
split over province, kabupaten/kota and kecamatan nodes and spread over both
edges, the Kalimantan Tengah night over DURATION seconds, and the second edge
killed half-way: its viewers reconnect to the first. suara-load then checks
every viewer's last state against the expected totals, and its exit status
is this script's.

Where a process may hold at most so many open files (20,000 on the machine
this was written on, a hard limit), nothing holds them all: the viewers run in
--viewer-procs processes of suara-load (by default one per 5,000), apart from
the one sending the forms, and each edge runs two nginx workers sharing its
port (reuseport), each with worker_rlimit_nofile within the limit, so the
edge that is left holds all the viewers in two processes.

Not part of ctest (it takes a minute and most of a small machine). Run:

    SUARA_TEST_PG="host=... port=... user=postgres" \\
        python3 loadtest/scale_demo.py [--viewers 20000] [--duration 30]

(`bash dev.sh quick -R nothing` builds and leaves a test cluster's conninfo
in its output; any superuser conninfo without dbname works.)"""

import argparse
import os
import resource
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness  # noqa: E402
from edges import Edge, Redis, metric  # noqa: E402

LOAD_BIN = os.environ.get("SUARA_LOAD_BIN") or os.path.join(harness.SOURCE_DIR, "build", "bin",
                                                             "suara-load")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--viewers", type=int, default=20000)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--keep-edge", action="store_true", help="do not kill the second edge")
    p.add_argument("--viewer-procs", type=int, default=0,
                   help="suara-load processes holding the viewers [one per 5,000]")
    args = p.parse_args()
    harness.test_pg()
    # suara-load holds a socket per viewer and inherits this limit.
    hard = harness.raise_open_files(args.viewers)
    procs = args.viewer_procs or -(-args.viewers // 5000)
    nofile = min(hard if hard != resource.RLIM_INFINITY else 65536, 65536)
    db = harness.Database("scale", migrate=True, seed=True)
    redis = Redis()
    edge_a, edge_b = (Edge(redis, workers=2, nofile=nofile) for _ in range(2))
    server = harness.Server(db, "--publish-url", edge_a.publish_url, ready=True)
    try:
        cmd = [LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port),
               "--server-pid", str(server.proc.pid), "--viewers", str(args.viewers),
               "--viewers-province", "0.2", "--viewers-kabupaten", "0.4",
               "--nchan", f"127.0.0.1:{edge_a.port},127.0.0.1:{edge_b.port}",
               "--duration", str(args.duration), "--curve", "night", "--settle-ms", "60000",
               "--viewer-procs", str(procs)]
        print("+", " ".join(cmd), flush=True)
        load = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)

        def follow():
            # Half-way through the night: the night starts once every viewer has its state.
            for line in load.stdout:
                print(line, end="", flush=True)
                if line.startswith("sending") and not args.keep_edge:
                    threading.Timer(args.duration / 2, kill_second_edge).start()

        def kill_second_edge():
            if load.poll() is None:
                print("scale_demo: killing the second edge", flush=True)
                edge_b.kill()
        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        rc = load.wait()
        reader.join(timeout=10)
        print(f"scale_demo: published {metric(server, 'suara_publish_sent_total')} messages, "
              f"{metric(server, 'suara_publish_dropped_total')} superseded, "
              f"{metric(server, 'suara_publish_errors_total')} errors", flush=True)
        return rc
    finally:
        server.stop()
        edge_a.stop()
        edge_b.stop()
        redis.stop()
        db.drop()


if __name__ == "__main__":
    sys.exit(main())
