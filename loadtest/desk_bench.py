"""Worklist latency for the whole province (docs/benchmarks.md, "Monitoring
desk"). Not part of ctest: run it by hand on a quiet machine.

    SUARA_TEST_PG='host=... port=... user=postgres' python3 loadtest/desk_bench.py [FORMS]

A fresh database is seeded with Kalimantan Tengah; FORMS forms (default 1500)
are sent to random TPS, a tenth of them held and a tenth disputed, so every
list has members; then each status of gub-62/62 is asked 50 times for a page
of 1000 and for the count alone (limit=1), and the median and worst round
trip over loopback HTTP are printed (an upper bound of the time in the server:
the request sent and the whole body read on a kept-alive connection, the JSON
parsed only after the clock stops).
"""

import http.client
import json
import os
import random
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))

import harness  # noqa: E402

STATUSES = ("missing", "held", "disputed", "unconfirmed", "no_photo", "flagged", "kpu_differs")


def round_trips(conn, path, n):
    """n GETs of path: the times in ms and the last body."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        raw = resp.read()
        times.append((time.perf_counter() - start) * 1000)
        assert resp.status == 200, raw
    return times, json.loads(raw)


def main():
    n_forms = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    db = harness.Database("desk_bench", migrate=True, seed=True)
    server = harness.Server(db, "--rate-per-minute", "0", ready=True)
    try:
        w1, w2 = db.make_token("witness", "62"), db.make_token("witness", "62")
        server.wait_for_token(w1)
        server.wait_for_token(w2)
        rng = random.Random(7)
        tps = db.rows("SELECT code, dpt FROM tps ORDER BY code")
        for i, (code, dpt) in enumerate(rng.sample(tps, n_forms)):
            form = harness.build_form(f"bench-{i}", code, int(dpt))
            if i % 10 == 1:
                form["votes"]["1"] += 1  # held
            server.post("/api/v1/forms", form, token=w1)
            if i % 10 == 2:
                server.post("/api/v1/forms",
                            harness.build_form(f"bench-d-{i}", code, int(dpt), shift=1), token=w2)
        print(f"{n_forms} forms sent; {len(tps)} TPS in the province")
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        for status in STATUSES:
            for limit in (1000, 1):
                path = f"/api/v1/worklist/gub-62/62?status={status}&limit={limit}"
                times, body = round_trips(conn, path, 50)
                print(f"{status:12} limit={limit:5} total={body['total']:5} "
                      f"median={statistics.median(times):.2f} ms max={max(times):.2f} ms")
        conn.close()
    finally:
        server.stop()
        db.drop()


if __name__ == "__main__":
    main()
