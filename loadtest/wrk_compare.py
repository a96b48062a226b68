#!/usr/bin/env python3
"""Suara beside its own HTTP stack, in one run (docs/benchmarks.md, "wrk").

For each connection count, one after the other on the same machine:
  suara      `suara serve` on a fresh copy of a seeded Kalimantan Tengah
             database; wrk POSTs new forms (loadtest/wrk_forms.lua); the forms
             stored are counted in PostgreSQL afterwards;
  empty      suara-empty-lws (loadtest/empty_lws.c): libwebsockets 4.1 on
             libuv as the server runs it, answering every POST 201 "{}";
  nginx      (with --nginx) one nginx worker answering `return 201 '{}'`.
Every target gets the same wrk command and the same request stream. It prints
requests/s of each, Suara's ratio to the empty handler, and Suara's server
and PostgreSQL CPU per stored form (/proc, the whole cluster).

It runs its own PostgreSQL 15 cluster in a temporary folder (fsync and
synchronous_commit on, as for an election), as the `postgres` OS user when
run as root. Needs wrk (Debian package `wrk`).

  python3 loadtest/wrk_compare.py --build build [--seconds 10]
      [--connections 64,256] [--repeat 1] [--nginx] [--night]
      [--before DIR | --before-rev REV] [--perf DIR] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
PG_BIN = "/usr/lib/postgresql/15/bin"
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_pg(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else cmd


class Cluster:
    """A private PostgreSQL cluster on a unix socket in a temporary folder."""

    def __init__(self, root):
        self.data = os.path.join(root, "pg")
        os.makedirs(self.data)
        if os.getuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(self.data, "postgres")
        os.chmod(self.data, 0o700)
        subprocess.run(as_pg([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "-A",
                              "trust", "-E", "UTF8", "--no-locale"]),
                       check=True, capture_output=True)
        self.port = free_port()
        with open(os.path.join(self.data, "postgresql.conf"), "a", encoding="utf-8") as f:
            f.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{self.data}'\n"
                    f"port = {self.port}\nshared_buffers = 1GB\nmax_wal_size = 8GB\n")
        subprocess.run(as_pg([f"{PG_BIN}/pg_ctl", "start", "-D", self.data, "-l",
                              os.path.join(self.data, "log"), "-w"]),
                       check=True, capture_output=True)
        self.conninfo = f"host={self.data} port={self.port} user=postgres"

    def db(self, name):
        return f"{self.conninfo} dbname={name}"

    def sql(self, sql, db="postgres"):
        out = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              self.db(db), "-c", sql],
                             check=True, capture_output=True, text=True)
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def pids(self):
        """The postmaster and its children (backends opened later are not in it:
        call while the server is connected)."""
        with open(os.path.join(self.data, "postmaster.pid"), encoding="utf-8") as f:
            master = int(f.readline())
        found = [master]
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == master:
                        found.append(int(pid))
            except OSError:
                continue
        return found

    def cpu_seconds(self):
        """CPU of the postmaster and all its children."""
        with open(os.path.join(self.data, "postmaster.pid"), encoding="utf-8") as f:
            master = int(f.readline())
        total = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(pid) == master or int(fields[1]) == master:
                total += int(fields[11]) + int(fields[12])
        return total / TICK

    def stop(self):
        subprocess.run(as_pg([f"{PG_BIN}/pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w"]),
                       capture_output=True)


def proc_cpu(pid):
    with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_http(port, path, deadline_s=120):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                if 200 <= r.status < 300:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"127.0.0.1:{port}{path} did not answer 2xx")


def form_template(tps, dpt, contest, numbers):
    """A form that passes every check (as loadtest/formgen.c makes them), with
    %s for its submission_id."""
    m, f = dpt // 2, dpt - dpt // 2
    vm, vf = m * 3 // 4, f * 3 // 4
    total = vm + vf
    received = dpt + (dpt * 25 + 999) // 1000
    invalid = total // 100
    valid = total - invalid
    votes, left = [], valid
    for i, n in enumerate(numbers):
        share = left if i == len(numbers) - 1 else valid // len(numbers)
        votes.append(f'"{n}":{share}')
        left -= share
    body = {
        "tps": tps, "contest": contest,
        "registered": {"dpt": {"m": m, "f": f}, "dpph": {"m": 0, "f": 0},
                       "dptb": {"m": 0, "f": 0}},
        "voted": {"dpt": {"m": vm, "f": vf}, "dpph": {"m": 0, "f": 0},
                  "dptb": {"m": 0, "f": 0}},
        "ballots": {"received": received, "returned": 0, "unused": received - total,
                    "used": total},
        "disability": {"registered": 0, "voted": 0},
    }
    text = json.dumps(body, separators=(",", ":"))
    return ('{"submission_id":"%s",' + text[1:-1] + ',"votes":{' + ",".join(votes) +
            f'}},"valid":{valid},"invalid":{invalid},"total":{total}}}')


def write_slots(cluster, db, path):
    tps = cluster.sql("SELECT code, dpt FROM tps ORDER BY code", db)
    contests = cluster.sql("SELECT c.id, c.region, string_agg(k.number::text, ',' ORDER BY "
                           "k.number) FROM contests c JOIN candidates k ON k.contest = c.id "
                           "GROUP BY c.id, c.region ORDER BY c.id", db)
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for code, dpt in tps:
            for cid, region, numbers in contests:
                if code.startswith(region + "."):
                    out.write(form_template(code, int(dpt), cid, numbers.split(",")) + "\n")
                    n += 1
    return n


WRK_RE = {
    "requests_per_s": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "requests": re.compile(r"(\d+) requests in"),
    "non_2xx": re.compile(r"Non-2xx or 3xx responses:\s+(\d+)"),
    "socket_errors": re.compile(r"Socket errors:.*"),
}


def run_wrk(port, connections, seconds, env):
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
           os.path.join(HERE, "wrk_forms.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **env},
                         check=True).stdout
    res = {"raw": out}
    for key, rx in WRK_RE.items():
        m = rx.search(out)
        if key == "socket_errors":
            res[key] = m.group(0) if m else ""
        else:
            res[key] = float(m.group(1)) if m else 0.0
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}"] = m.group(1) if m else "?"
    return res


class Run:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.cluster = Cluster(tmp)
        self.bin = os.path.join(args.build, "bin")
        seed = self.cluster.db("seeded")
        self.cluster.sql("CREATE DATABASE seeded")
        subprocess.run([f"{self.bin}/suara", "migrate", "--db", seed, "--schema",
                        os.path.join(SOURCE, "schema")], check=True, capture_output=True)
        subprocess.run([f"{self.bin}/suara", "seed", "--db", seed,
                        os.path.join(SOURCE, "schema", "seed", "kalteng-2024")],
                       check=True, capture_output=True)
        out = subprocess.run([f"{self.bin}/suara", "token", "create", "--db", seed, "--role",
                              "admin", "--scope", "62", "--name", "wrk"],
                             check=True, capture_output=True, text=True).stdout
        self.token = out.splitlines()[0]
        self.slots = os.path.join(tmp, "slots.txt")
        self.n_slots = write_slots(self.cluster, "seeded", self.slots)
        self.env = {"WRK_SLOTS": self.slots, "WRK_TOKEN": self.token, "WRK_RUN": "wrk"}
        self.runs = 0

    def serve(self, bin_dir, *serve_args):
        """`suara serve` of bin_dir on a fresh copy of the seeded database:
        (database name, port, process); its log in the run's folder."""
        self.runs += 1
        db = f"run{self.runs}"
        self.cluster.sql(f"CREATE DATABASE {db} TEMPLATE seeded")
        port = free_port()
        server = subprocess.Popen(
            [f"{bin_dir}/suara", "serve", "--db", self.cluster.db(db), "--listen",
             f"127.0.0.1:{port}", *serve_args, *self.args.serve],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, f"{db}.log"), "w"))
        return db, port, server

    def suara(self, connections, bin_dir=None):
        db, port, server = self.serve(bin_dir or self.bin, "--rate-per-minute", "0",
                                      "--forms-per-tps", "100000", "--static",
                                      os.path.join(SOURCE, "client-web"))
        try:
            wait_http(port, "/readyz")
            cpu0, pg0 = proc_cpu(server.pid), self.cluster.cpu_seconds()
            perf = self.perf_start(server.pid, f"{db}-c{connections}")
            res = run_wrk(port, connections, self.args.seconds, self.env)
            self.perf_stop(perf)
            res["server_cpu_s"] = proc_cpu(server.pid) - cpu0
            res["pg_cpu_s"] = self.cluster.cpu_seconds() - pg0
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        stored = int(self.cluster.sql("SELECT count(*) FROM forms", db)[0][0])
        res["stored"] = stored
        res["outcomes"] = dict(self.cluster.sql("SELECT outcome, count(*) FROM forms GROUP BY 1",
                                                db))
        res["server_us_per_form"] = res["server_cpu_s"] * 1e6 / max(stored, 1)
        res["pg_us_per_form"] = res["pg_cpu_s"] * 1e6 / max(stored, 1)
        self.cluster.sql(f"DROP DATABASE {db}")
        return res

    def perf_start(self, server_pid, name):
        """With --perf DIR: `perf record -g` of the server and of every
        PostgreSQL process (the backends included) while wrk runs."""
        if not self.args.perf:
            return []
        os.makedirs(self.args.perf, exist_ok=True)
        pg = ",".join(str(p) for p in self.cluster.pids())
        procs = []
        for label, pids in (("suara", str(server_pid)), ("postgres", pg)):
            out = os.path.join(self.args.perf, f"{name}-{label}.data")
            procs.append(subprocess.Popen(["perf", "record", "--call-graph", "dwarf,8192", "-F", "499", "-q", "-o", out, "-p", pids],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)  # perf attaches before the load starts (no test waits on this)
        return procs

    @staticmethod
    def perf_stop(procs):
        for proc in procs:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=120)

    def night(self, bin_dir, *load_args):
        """`suara-load run` (every story, verified) against a fresh database."""
        db, port, server = self.serve(bin_dir)
        out = os.path.join(self.tmp, f"{db}.json")
        try:
            wait_http(port, "/readyz")
            proc = subprocess.run([f"{self.bin}/suara-load", "run", "--db", self.cluster.db(db),
                                   "--port", str(port), "--server-pid", str(server.pid),
                                   "--out", out, *load_args], capture_output=True, text=True)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        self.cluster.sql(f"DROP DATABASE {db} WITH (FORCE)")
        if proc.returncode != 0:
            raise RuntimeError(f"suara-load failed:\n{proc.stdout}\n{proc.stderr}")
        with open(out, encoding="utf-8") as f:
            r = json.load(f)
        forms, server_stats = r["forms"], r["server"]
        acked = max(forms["acknowledged"], 1)
        return {"passed": r["passed"], "acknowledged": forms["acknowledged"],
                "seconds": forms["seconds"], "forms_per_second": forms["forms_per_second"],
                "ack_p50_ms": forms["ack_latency"]["p50_ms"],
                "ack_p99_ms": forms["ack_latency"]["p99_ms"],
                "intended_p99_ms": forms["latency_from_intended"]["p99_ms"],
                "server_us_per_form": server_stats["cpu_seconds"] * 1e6 / acked,
                "pg_us_per_form": server_stats["postgres_cpu_seconds"] * 1e6 / acked,
                "batch_mean": server_stats["batch_mean"]}

    def empty(self, connections):
        port = free_port()
        proc = subprocess.Popen([f"{self.bin}/suara-empty-lws", str(port)])
        try:
            wait_http(port, "/")
            cpu0 = proc_cpu(proc.pid)
            res = run_wrk(port, connections, self.args.seconds, self.env)
            res["server_cpu_s"] = proc_cpu(proc.pid) - cpu0
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        return res

    def nginx(self, connections):
        port = free_port()
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"""daemon off; worker_processes 1; pid {self.tmp}/nginx.pid;
error_log {self.tmp}/nginx.err; events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 10000000;
  client_body_temp_path {self.tmp}/nginx-body;
  server {{ listen 127.0.0.1:{port}; location / {{ return 201 '{{}}'; }} }} }}
""")
        proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.tmp],
                                stderr=subprocess.DEVNULL)
        try:
            wait_http(port, "/", 30)
            res = run_wrk(port, connections, self.args.seconds, self.env)
        finally:
            proc.send_signal(signal.SIGQUIT)
            proc.wait(timeout=30)
        return res


def build_rev(rev, tmp):
    """`suara` of another revision, built (RelWithDebInfo) in tmp; its build folder."""
    src = os.path.join(tmp, "before-src")
    os.makedirs(src)
    archive = subprocess.run(["git", "-C", SOURCE, "archive", rev], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", src], input=archive, check=True)
    build = os.path.join(src, "build")
    subprocess.run(["cmake", "-S", src, "-B", build, "-DCMAKE_BUILD_TYPE=RelWithDebInfo"],
                   check=True, capture_output=True)
    subprocess.run(["cmake", "--build", build, "-j2", "--target", "suara"], check=True,
                   capture_output=True)
    return build


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", default="64,256")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--nginx", action="store_true")
    p.add_argument("--before", help="another build folder: its `suara serve` runs too, as "
                   "'before' (e.g. the previous commit)")
    p.add_argument("--before-rev", metavar="REV", help="build `suara` of this git revision "
                   "(git archive into the temporary folder) and run it as 'before'")
    p.add_argument("--night", action="store_true",
                   help="also the Kalimantan Tengah night (suara-load run, every story) and an "
                   "open loop at 10,000 forms/s, for each build")
    p.add_argument("--json")
    p.add_argument("--perf", metavar="DIR", help="perf record -g the server and PostgreSQL "
                   "during each suara run into DIR (perf report -i DIR/FILE --no-children)")
    p.add_argument("serve", nargs="*", help="extra `suara serve` options (after --)")
    args = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="suara-wrk-")
    if args.before_rev:
        args.before = build_rev(args.before_rev, tmp)
    run = Run(args, tmp)
    results = []
    try:
        head = subprocess.run(["git", "-C", SOURCE, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        print(f"{run.n_slots} slots; wrk -t1 -d{args.seconds}s; suara {args.build} (source at "
              f"{head or '?'}), before {args.before_rev or args.before or '-'}; load average "
              f"{os.getloadavg()[0]:.1f} at start", flush=True)
        for rep in range(args.repeat):
            for c in (int(x) for x in args.connections.split(",")):
                row = {"connections": c, "repeat": rep, "suara": run.suara(c),
                       "empty": run.empty(c)}
                if args.before:
                    row["before"] = run.suara(c, os.path.join(args.before, "bin"))
                if args.nginx:
                    row["nginx"] = run.nginx(c)
                s, e = row["suara"], row["empty"]
                ratio = s["requests_per_s"] / e["requests_per_s"] if e["requests_per_s"] else 0
                row["ratio"] = ratio
                extra = (f" nginx {row['nginx']['requests_per_s']:,.0f}/s" if args.nginx else "")
                if args.before:
                    b = row["before"]
                    extra += (f" | before {b['requests_per_s']:,.0f}/s (server "
                              f"{b['server_us_per_form']:.1f} + PostgreSQL "
                              f"{b['pg_us_per_form']:.1f} us per form)")
                print(f"c={c:4d} suara {s['requests_per_s']:8,.0f}/s (stored {s['stored']:,}, "
                      f"non-2xx {s['non_2xx']:.0f}, outcomes {s['outcomes']}, p50 {s['p50']} p99 {s['p99']}, server "
                      f"{s['server_us_per_form']:.1f} us + PostgreSQL {s['pg_us_per_form']:.1f} "
                      f"us per form) | empty lws {e['requests_per_s']:8,.0f}/s (p99 {e['p99']})"
                      f"{extra} | ratio {ratio:.2f}; load {os.getloadavg()[0]:.1f}", flush=True)
                results.append(row)
        if args.night:
            builds = [("suara", run.bin)]
            if args.before:
                builds.append(("before", os.path.join(args.before, "bin")))
            for rep in range(args.repeat):
                for name, bin_dir in builds:
                    for label, load in (("night", ()),
                                        ("open loop 10,000/s", ("--plain", "--rate", "10000"))):
                        r = run.night(bin_dir, *load)
                        r.update(build=name, kind=label, repeat=rep)
                        results.append(r)
                        print(f"{name:6s} {label:20s} {r['acknowledged']:,} forms in "
                              f"{r['seconds']:.3f} s = {r['forms_per_second']:,.0f}/s, ack p50 "
                              f"{r['ack_p50_ms']:.1f} p99 {r['ack_p99_ms']:.1f} ms (from "
                              f"intended p99 {r['intended_p99_ms']:.1f}), server "
                              f"{r['server_us_per_form']:.1f} + PostgreSQL "
                              f"{r['pg_us_per_form']:.1f} us per form, batch mean "
                              f"{r['batch_mean']:.0f}, {'PASS' if r['passed'] else 'FAIL'}",
                              flush=True)
    finally:
        run.cluster.stop()
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(results, f, indent=1)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
