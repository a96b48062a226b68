"""Photo benchmark (docs/benchmarks.md, "Photos"). Not part of ctest: run it
by hand on a quiet machine.

    SUARA_TEST_PG='host=... port=... user=postgres' python3 loadtest/photo_bench.py \
        [--photos 300] [--connections 8] [--form-rate 2000] [--photo-rate 50] [--seconds 4] \
        [--runs 3]

1. Throughput: --photos distinct JPEGs of about 300 KB (noise, so they do
   not compress) are uploaded over --connections keep-alive connections to
   a fresh server; prints photos/s, MB/s and the upload latency (p50, p99).
2. Forms beside photos: suara-load sends forms open loop at --form-rate for
   --seconds to a fresh server, once alone and once while this script uploads
   --photo-rate photos per second (open loop too, 16 connections); prints the forms'
   acknowledgement p99 of both runs and their ratio (the issue's target: at
   most 1.5), and what the photos got meanwhile. Kalimantan Tengah has 8,892
   slots (TPS x contest), so 2,000 forms/s last 4.4 s at most: --seconds 4.
   The pair of runs is repeated --runs times, alone and beside in turn, since
   one pair on a shared machine says little; the median ratio is printed.
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


PHOTO_CONNECTIONS = 16


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
            if status != 201:  # every photo of a run is new to its database
                raise SystemExit(f"upload answered {status}, not 201")
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
    """The forms' ack p99 (ms) of one suara-load run, and a line on the photos
    uploaded meanwhile (photo_rate per second over PHOTO_CONNECTIONS)."""
    db = harness.Database(f"photo_bench_{label}", migrate=True, seed=True)
    server = harness.Server(db, "--rate-per-minute", "0", ready=True)
    token = db.make_token("witness", "62")
    server.wait_for_token(token)
    stop, lock, latencies, statuses = threading.Event(), threading.Lock(), [], {}

    def uploader(mine, rate):  # open loop: one photo every 1/rate seconds
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        start, i = time.monotonic(), 0
        while not stop.is_set() and i < len(mine):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic()
            status = upload(conn, token, mine[i])
            with lock:
                latencies.append(time.monotonic() - t)
                statuses[status] = statuses.get(status, 0) + 1
            i += 1

    # Enough connections that the rate holds while an upload takes a while
    # (each waits for its answer): at most --photo-uploads-max (16) at once.
    conns = PHOTO_CONNECTIONS if photo_rate else 0
    pool = [threading.Thread(target=uploader, args=(photos[k::conns], photo_rate / conns))
            for k in range(conns)]
    out = os.path.join(harness.tmpdir(), f"photo_bench_{label}.json")
    started = time.monotonic()
    for t in pool:
        t.start()
    subprocess.run([LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port),
                    "--rate", str(form_rate), "--duration", str(seconds),
                    "--forms", str(form_rate * seconds), "--out", out], check=True,
                   stdout=subprocess.DEVNULL)
    stop.set()
    for t in pool:
        t.join()
    # The uploads went on while suara-load verified, after its forms: their
    # rate is over the uploaders' own time, not over the forms' seconds.
    uploading = time.monotonic() - started
    with open(out) as f:
        forms = json.load(f)["forms"]
    server.stop()
    db.drop()
    photos_line = ""
    if latencies:
        photos_line = (f"; photos {dict(sorted(statuses.items()))} "
                       f"({len(latencies) / uploading:.1f}/s over {uploading:.1f} s), upload p50 "
                       f"{quantile(latencies, .5) * 1000:.0f} ms, p99 "
                       f"{quantile(latencies, .99) * 1000:.0f} ms")
    print(f"  {label}: {forms['acknowledged']} forms in {forms['seconds']:.1f} s, ack p50 "
          f"{forms['ack_latency']['p50_ms']:.1f} ms, p99 {forms['ack_latency']['p99_ms']:.1f} ms"
          f"{photos_line}", flush=True)
    return forms["ack_latency"]["p99_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--form-rate", type=int, default=2000)
    ap.add_argument("--photo-rate", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-throughput", action="store_true")
    args = ap.parse_args()
    if not args.skip_throughput:
        throughput(photo_set(args.photos), args.connections)
    # Photos of their own for every run (a photo stored once is a 200 after).
    # The uploads go on while suara-load verifies, so they get twice the time.
    need = args.photo_rate * args.seconds * 4
    ratios = []
    for run in range(args.runs):
        extra = photo_set(need, seed=100000 + run * need)
        alone = forms_run(f"alone_{run}", args.form_rate, args.seconds, 0, [])
        beside = forms_run(f"beside_{run}", args.form_rate, args.seconds, args.photo_rate, extra)
        ratios.append(beside / alone if alone else 0)
        print(f"forms at {args.form_rate}/s: ack p99 {alone:.1f} ms alone, {beside:.1f} ms beside "
              f"{args.photo_rate} photo uploads/s: {ratios[-1]:.2f}x", flush=True)
    print(f"median of {len(ratios)}: {sorted(ratios)[len(ratios) // 2]:.2f}x")


if __name__ == "__main__":
    main()
