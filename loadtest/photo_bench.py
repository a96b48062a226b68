"""Photo benchmark (docs/benchmarks.md, "Photos"). Not part of ctest: run it
by hand on a quiet machine, against a cluster with durable settings.

    SUARA_TEST_PG='host=... port=... user=postgres' python3 loadtest/photo_bench.py \
        [--photos 300] [--connections 8] [--form-rate 2000] [--photo-rate 50] \
        [--seconds 10] [--warmup 1] [--runs 5] [--bin NAME=PATH ...] [--wait-events] \
        [--throughput-runs 1] [--no-pairs]

1. Throughput: --photos distinct JPEGs of about 300 KB (noise, so they do
   not compress) are uploaded over --connections keep-alive connections to
   a fresh server; prints photos/s, MB/s and the upload latency (p50, p99).
   --throughput-runs times per server, the servers' order alternating, and
   the server's CPU per photo by thread (/proc/PID/task/TID/stat): the loop,
   the photo checker ("photo-check") and the others (libuv's pool: "suara").
2. Forms beside photos: suara-load sends forms open loop at --form-rate for
   --seconds to a fresh copy of one seeded database, once alone and once
   while this script uploads --photo-rate photos per second (open loop, 16
   connections, the same photos in every run: each run's database is new).
   The forms sent in the first --warmup seconds are left out of both arms'
   latencies (suara-load --warmup). Per run: the forms' ack p50 and p99, the
   photos carried while the forms were sent (must be about --photo-rate),
   PostgreSQL's WAL syncs (pg_stat_wal) and the CPU of the server and of
   PostgreSQL meanwhile. A pair (alone, beside) is repeated --runs times, its
   order alternating, and every pair's p99 ratio and their median printed:
   the issue's target is a median of at most 1.5.
   The seed is a synthetic Kalimantan Tengah (`suara-load nation` on its 14
   kab/kota, 200 voters a TPS, fixed seed: 10,949 TPS, 21,898 slots), so
   that 2,000 forms/s can last 10 s; the real seed's 8,892 slots last 4.4 s.
   With --bin given twice (say old=.../suara new=.../suara), each run does
   both servers' pairs, their order alternating too, so a loaded machine
   weighs on both alike: compare their medians, not runs made apart.
   --wait-events samples pg_stat_activity every 5 ms during each run and
   prints what the form writer's backend (its batch statement, "WITH changed
   AS ...": the text is cut at track_activity_query_size, so not by the
   suara_batch at its end) and the photo connection's backend (its put, or
   its application_name where the server sets one) waited for (the sampler is one more backend: its runs are for the mechanism, not
   for the ratio).
"""

import argparse
import http.client
import json
import os
import re
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
KABUPATEN_CSV = os.path.join(harness.SOURCE_DIR, "schema", "seed", "indonesia",
                             "indonesia_kabupaten.csv")
PHOTO_CONNECTIONS = 16
TEMPLATE = "photo_bench_seeded"
SAMPLE_INTERVAL_S = 0.005


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


def median(xs):
    return sorted(xs)[len(xs) // 2] if xs else 0.0


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def thread_cpu(pid):
    """{thread: CPU seconds so far} of process pid, from /proc/PID/task/TID/stat:
    "loop" for the main thread, every other thread by its name (the pool's
    threads keep the binary's, "suara")."""
    tick, cpu = os.sysconf("SC_CLK_TCK"), {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                stat = f.read()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        name = "loop" if int(tid) == pid else stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()  # from field 3: utime is 14, stime 15
        cpu[name] = cpu.get(name, 0) + (int(fields[11]) + int(fields[12])) / tick
    return cpu


def use_binary(path):
    """harness.Server and make_token run harness.SUARA_BIN."""
    harness.SUARA_BIN = path


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

    load = loadavg()
    cpu0 = thread_cpu(server.proc.pid)
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    mb = sum(len(p) for p in photos) / 1e6
    print(f"throughput (load {load:.1f}): {len(photos)} photos ({mb / len(photos) * 1000:.0f} KB "
          f"each) over {connections} connections in {seconds:.1f} s: "
          f"{len(photos) / seconds:.1f} photos/s, {mb / seconds:.1f} MB/s; upload p50 "
          f"{quantile(latencies, .5) * 1000:.0f} ms, p99 {quantile(latencies, .99) * 1000:.0f} ms",
          flush=True)
    cpu = thread_cpu(server.proc.pid)
    print("  CPU per photo: " + ", ".join(
        f"{name} {(cpu[name] - cpu0.get(name, 0)) / len(photos) * 1000:.2f} ms"
        for name in sorted(cpu, key=lambda n: (n != "loop", n))), flush=True)
    server.stop()
    db.drop()


# ---- the seeded database every form run copies ------------------------------

class SeededCopy(harness.Database):
    """A fresh database made from the template: the same rows in every run,
    and no seeding inside the runs."""

    def __init__(self, label):
        self.cluster = harness.test_pg()
        label = re.sub(r"[^a-z0-9_]", "_", label.lower())[:30]
        self.name = f"suara_t_{label}_{os.urandom(4).hex()}"
        self.conninfo = f"{self.cluster} dbname={self.name}"
        self.dropped = False
        harness._psql(f"{self.cluster} dbname=postgres",
                      f'CREATE DATABASE "{self.name}" TEMPLATE {TEMPLATE}')
        harness._databases.append(self)


def make_template():
    folder = os.path.join(harness.tmpdir(), "seed62")
    source = os.path.join(harness.tmpdir(), "kabupaten62.csv")
    with open(KABUPATEN_CSV) as f, open(source, "w") as out:
        lines = f.readlines()
        out.write(lines[0])
        out.writelines(line for line in lines[1:] if line.startswith("62."))
    subprocess.run([LOAD_BIN, "nation", "--source", source, "--out", folder,
                    "--voters-per-tps", "200", "--seed", "1"], check=True,
                   stdout=subprocess.DEVNULL)
    admin = f"{harness.test_pg()} dbname=postgres"
    harness._psql(admin, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
    db = harness.Database("photo_bench_template", migrate=True)
    db.seed(folder)
    harness._psql(admin, f'ALTER DATABASE "{db.name}" RENAME TO {TEMPLATE}')
    db.name = TEMPLATE  # dropped at exit under its new name
    db.conninfo = f"{db.cluster} dbname={TEMPLATE}"


# ---- what PostgreSQL did meanwhile --------------------------------------------

def wal_stats():
    row = harness._psql(f"{harness.test_pg()} dbname=postgres",
                        "SELECT wal_sync, wal_write, wal_sync_time, wal_bytes FROM pg_stat_wal")
    syncs, writes, sync_ms, wal_bytes = row.split("|")
    return int(syncs), int(writes), float(sync_ms), int(float(wal_bytes))


SAMPLER = f"""
DO $$
DECLARE until timestamptz := clock_timestamp() + interval '%s seconds';
BEGIN
  CREATE TEMP TABLE pb_samples (who text, wait text);
  WHILE clock_timestamp() < until LOOP
    PERFORM pg_stat_clear_snapshot();
    INSERT INTO pb_samples
      SELECT CASE WHEN query LIKE 'WITH changed AS%%' THEN 'forms' ELSE 'photos' END,
             CASE WHEN state <> 'active' THEN 'idle'
                  ELSE coalesce(wait_event_type || ':' || wait_event, 'CPU') END
        FROM pg_stat_activity
       WHERE backend_type = 'client backend' AND datname LIKE 'suara_t_photo_bench%%'
         AND (query LIKE 'WITH changed AS%%' OR query LIKE '%%INTO photos%%'
              OR application_name = 'suara-photos');
    PERFORM pg_sleep({SAMPLE_INTERVAL_S});
  END LOOP;
  RAISE NOTICE 'samples %%', (SELECT json_agg(s) FROM
    (SELECT who, wait, count(*) AS n FROM pb_samples GROUP BY 1, 2 ORDER BY 1, 3 DESC) s);
END $$;
"""


def sample_waits(seconds, out):
    """What the two backends waited for, sampled for `seconds`: out gets
    {who: {wait: share of that backend's active samples}}."""
    proc = subprocess.run([harness.psql_binary(), "-X", "-q", "-d",
                           f"{harness.test_pg()} dbname=postgres", "-c", SAMPLER % seconds],
                          capture_output=True, text=True)
    m = re.search(r"NOTICE:  samples (.*)", proc.stderr, re.S)
    text = m.group(1).strip() if m else ""
    rows = json.JSONDecoder().raw_decode(text)[0] if text.startswith("[") else []
    for r in rows or []:
        out.setdefault(r["who"], {})[r["wait"]] = r["n"]


def waits_line(waits):
    parts = []
    for who in ("forms", "photos"):
        w = waits.get(who, {})
        active = sum(n for k, n in w.items() if k != "idle")
        if not active:
            continue
        top = sorted(((n, k) for k, n in w.items() if k != "idle"), reverse=True)[:4]
        shares = ", ".join(f"{k} {n * 100 / active:.0f}%" for n, k in top)
        parts.append(f"{who} backend active {active * 100 / sum(w.values()):.0f}% ({shares})")
    return "; waits: " + "; ".join(parts) if parts else ""


# ---- one run of forms, with or without photos -----------------------------------

def forms_run(label, args, photos):
    """One suara-load run on a fresh copy of the seeded database, with
    args.photo_rate photo uploads a second beside it when photos are given.
    Returns the figures of the run."""
    db = SeededCopy(f"photo_bench_{label}")
    server = harness.Server(db, "--rate-per-minute", "0", ready=True)
    token = db.make_token("witness", "62")
    server.wait_for_token(token)
    stop, lock, done_at, statuses = threading.Event(), threading.Lock(), [], {}
    latencies = []

    def uploader(mine, rate, t0):  # open loop: one photo every 1/rate seconds
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        i = 0
        while not stop.is_set() and i < len(mine):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0 and stop.wait(delay):
                break
            t = time.monotonic()
            status = upload(conn, token, mine[i])
            with lock:
                done_at.append(time.monotonic())
                latencies.append(done_at[-1] - t)
                statuses[status] = statuses.get(status, 0) + 1
            i += 1
        conn.close()

    out = os.path.join(harness.tmpdir(), f"photo_bench_{label}.json")
    load = loadavg()
    cmd = [LOAD_BIN, "run", "--db", db.conninfo, "--port", str(server.port),
           "--server-pid", str(server.proc.pid), "--rate", str(args.form_rate),
           "--duration", str(args.seconds), "--warmup", str(args.warmup),
           "--forms", str(args.form_rate * args.seconds), "--out", out]
    gen = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    pool, waits, sampler = [], {}, None
    t0 = t1 = wal0 = wal1 = None
    for line in gen.stdout:  # the photos go with the forms' sending, not the set-up
        if line.startswith("sending") and t0 is None:
            wal0, t0 = wal_stats(), time.monotonic()
            n = PHOTO_CONNECTIONS if photos else 0
            pool = [threading.Thread(target=uploader,
                                     args=(photos[k::n], args.photo_rate / n, t0))
                    for k in range(n)]
            for t in pool:
                t.start()
            if args.wait_events:
                sampler = threading.Thread(target=sample_waits, args=(args.seconds, waits))
                sampler.start()
        elif line.strip() == "sent" and t1 is None:
            t1, wal1 = time.monotonic(), wal_stats()
            stop.set()
    if gen.wait() != 0:
        raise SystemExit(f"suara-load failed in run {label} (server log {server.log_path})")
    stop.set()
    for t in pool:
        t.join()
    if sampler:
        sampler.join()
    with open(out) as f:
        result = json.load(f)
    # Photos per transaction: the rows one transaction wrote share its xmin.
    transactions, stored = map(int, db.value(
        "SELECT count(DISTINCT xmin::text) || ' ' || count(*) FROM photos").split())
    server.stop()
    db.drop()
    window = t1 - t0
    forms = result["forms"]
    carried = sum(1 for t in done_at if t0 + args.warmup <= t <= t1)
    r = {"label": label, "load": load, "window": window,
         "p50": forms["ack_latency"]["p50_ms"], "p99": forms["ack_latency"]["p99_ms"],
         "acked": forms["acknowledged"], "seconds": forms["seconds"],
         "photos_per_s": carried / max(window - args.warmup, 1e-9),
         "statuses": dict(sorted(statuses.items())),
         "upload_p50": quantile(latencies, .5) * 1000, "upload_p99": quantile(latencies, .99) * 1000,
         "wal_syncs": wal1[0] - wal0[0], "wal_sync_ms": wal1[2] - wal0[2],
         "wal_mb": (wal1[3] - wal0[3]) / 1e6,
         "server_cpu": result["server"]["cpu_seconds"],
         "pg_cpu": result["server"]["postgres_cpu_seconds"],
         "batches": result["server"]["batches"], "waits": waits,
         "photo_transactions": transactions, "photos_stored": stored}
    photos_part = (f"; photos {r['photos_per_s']:.1f}/s carried {r['statuses']} in "
                   f"{transactions} transactions, upload p50 {r['upload_p50']:.0f} ms, p99 "
                   f"{r['upload_p99']:.0f} ms" if photos else "")
    print(f"  {label} (load {load:.1f}): {r['acked']} forms in {r['seconds']:.1f} s, ack p50 "
          f"{r['p50']:.1f} ms, p99 {r['p99']:.1f} ms; {r['batches']:.0f} batches; WAL "
          f"{r['wal_syncs'] / window:.0f} syncs/s ({r['wal_sync_ms'] / window:.0f} ms/s), "
          f"{r['wal_mb'] / window:.1f} MB/s; CPU server {r['server_cpu']:.2f} s, PostgreSQL "
          f"{r['pg_cpu']:.2f} s{photos_part}{waits_line(waits)}", flush=True)
    return r


def pair(name, run, args, photos):
    """Alone and beside, in an order that alternates from run to run."""
    arms = [("alone", []), ("beside", photos)]
    if run % 2:
        arms.reverse()
    got = {arm: forms_run(f"{name}_{arm}_{run}", args, p) for arm, p in arms}
    ratio = got["beside"]["p99"] / got["alone"]["p99"] if got["alone"]["p99"] else 0
    print(f"{name} pair {run}: forms at {args.form_rate}/s, ack p99 {got['alone']['p99']:.1f} ms "
          f"alone, {got['beside']['p99']:.1f} ms beside {got['beside']['photos_per_s']:.1f} "
          f"photos/s: {ratio:.2f}x", flush=True)
    return ratio


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=300)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--form-rate", type=int, default=2000)
    ap.add_argument("--photo-rate", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bin", action="append", default=[],
                    help="NAME=PATH of a suara binary; twice to compare two servers")
    ap.add_argument("--wait-events", action="store_true")
    ap.add_argument("--throughput-runs", type=int, default=1,
                    help="throughput runs per server (0: none), alternating")
    ap.add_argument("--pairs", action=argparse.BooleanOptionalAction, default=True,
                    help="the forms' runs alone and beside the photos (--no-pairs: none)")
    args = ap.parse_args()
    bins = [b.split("=", 1) for b in args.bin] or [["suara", harness.SUARA_BIN]]
    if args.throughput_runs:
        photos = photo_set(args.photos)
        for run in range(args.throughput_runs):
            for name, path in (bins if run % 2 == 0 else bins[::-1]):
                use_binary(path)
                print(f"{name}: ", end="")
                throughput(photos, args.connections)
    if not args.pairs:
        return
    use_binary(bins[0][1])
    make_template()
    # The uploads stop when the forms are all answered; half as many again
    # covers a run whose forms take longer than --seconds.
    photos = photo_set(int(args.photo_rate * args.seconds * 1.5), seed=100000)
    ratios = {name: [] for name, _ in bins}
    for run in range(args.runs):
        order = bins if run % 2 == 0 else bins[::-1]
        for name, path in order:
            use_binary(path)
            ratios[name].append(pair(name, run, args, photos))
    for name, rs in ratios.items():
        print(f"{name}: ratios {', '.join(f'{r:.2f}' for r in rs)}; median of {len(rs)}: "
              f"{median(rs):.2f}x")


if __name__ == "__main__":
    main()
