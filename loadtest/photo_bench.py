"""Photo benchmark (docs/benchmarks.md, "Photos"). Not part of ctest: run it
by hand on a quiet machine.

    SUARA_TEST_PG='host=... port=... user=postgres' python3 loadtest/photo_bench.py \
        [--photos 300] [--connections 8] [--form-rate 2000] [--photo-rate 50] [--seconds 30]

1. Throughput: --photos distinct JPEGs of about 300 KB (noise, so they do
   not compress) are uploaded over --connections keep-alive connections to
   a fresh server; prints photos/s, MB/s and the upload latency (p50, p99).
2. Forms beside photos: suara-load sends forms open loop at --form-rate for
   --seconds to a fresh server, once alone and once while this script uploads
   --photo-rate photos per second; prints the forms' acknowledgement p99 of
   both runs and their ratio (the issue's target: at most 1.5).
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))

import harness  # noqa: E402
import images  # noqa: E402

LOAD_BIN = os.environ.get("SUARA_LOAD_BIN") or os.path.join(harness.SOURCE_DIR, "build", "bin",
                                                            "suara-load")


def photo_set(n, seed=0):
    """n distinct noise JPEGs of about 300 KB (720x540 at quality 85)."""
    return [images.noisy_jpeg(720, 540, seed=seed + i) for i in range(n)]


def upload(conn, token, data):
    conn.request("PUT", f"/api/v1/photos/{images.sha256(data)}", body=data,
                 headers={"Content-Type": "image/jpeg", "Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    resp.read()
    return resp.status


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0.0


def throughput(photos, connections):
    db = harness.Database("photo_bench", migrate=True, seed=True)
    server = harness.Server(db, ready=True)
    token = db.make_token("witness", "62")
    server.wait_for_token(token)
    queue, lock, latencies = list(photos), threading.Lock(), []

    def worker():
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        while True:
            with lock:
                if not queue:
                    break
                data = queue.pop()
            t = time.monotonic()
            status = upload(conn, token, data)
            if status not in (200, 201):
                raise SystemExit(f"upload answered {status}")
            with lock:
                latencies.append(time.monotonic() - t)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    mb = sum(len(p) for p in photos) / 1e6
    print(f"throughput: {len(photos)} photos ({mb / len(photos) * 1000:.0f} KB each) over "
          f"{connections} connections in {seconds:.1f} s: {len(photos) / seconds:.1f} photos/s, "
          f"{mb / seconds:.1f} MB/s; upload p50 {quantile(latencies, .5) * 1000:.0f} ms, "
          f"p99 {quantile(latencies, .99) * 1000:.0f} ms")
    server.stop()
    db.drop()


def forms_run(label, form_rate, seconds, photo_rate, photos):
    db = harness.Database(f"photo_bench_{label}", migrate=True, seed=True)
    server = harness.Server(db, "--rate-per-minute", "0", ready=True)
    token = db.make_token("witness", "62")
    server.wait_for_token(token)
    stop = threading.Event()

    def uploader(mine):  # open loop: one photo every 1/photo_rate seconds
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        start, i = time.monotonic(), 0
        while not stop.is_set() and i < len(mine):
            delay = start + i / photo_rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            upload(conn, token, mine[i])
            i += 1

    pool = [threading.Thread(target=uploader, args=(photos[k::4],))
            for k in range(4 if photo_rate else 0)]
    out = os.path.join(harness.tmpdir(), f"photo_bench_{label}.json")
    for t in pool:
        t.start()
    subprocess.run([LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port),
                    "--rate", str(form_rate), "--duration", str(seconds),
                    "--forms", str(form_rate * seconds), "--out", out], check=True,
                   stdout=subprocess.DEVNULL)
    stop.set()
    for t in pool:
        t.join()
    with open(out) as f:
        p99 = json.load(f)["forms"]["ack_latency"]["p99_ms"]
    server.stop()
    db.drop()
    return p99


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--form-rate", type=int, default=2000)
    ap.add_argument("--photo-rate", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    photos = photo_set(args.photos)
    throughput(photos, args.connections)
    # Four uploaders share the photo rate, each with photos of its own.
    extra = photo_set(args.photo_rate * args.seconds, seed=100000)
    alone = forms_run("alone", args.form_rate, args.seconds, 0, [])
    beside = forms_run("beside", args.form_rate, args.seconds, args.photo_rate / 4, extra)
    print(f"forms at {args.form_rate}/s: ack p99 {alone:.1f} ms alone, {beside:.1f} ms beside "
          f"{args.photo_rate} photo uploads/s: {beside / alone if alone else 0:.2f}x")


if __name__ == "__main__":
    main()
