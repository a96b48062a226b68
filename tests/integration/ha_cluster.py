"""High-availability drills' building blocks: PostgreSQL nodes on loopback TCP
(a primary and streaming standbys, from Debian's PostgreSQL), and witnesses
that keep submitting forms and record every answer with its time.

Every node is a copy of one template cluster per test process, made once
(initdb, migrate, seed: the slow part) and stopped cleanly, so a standby made
from the same copy streams from the primary without a base backup.

Every node lives in its own temporary folder and listens on 127.0.0.1 and a
free port; as root the PostgreSQL programs run as the `postgres` OS user.
Nodes are destroyed (SIGKILL, folder removed) by destroy(), which the tests
register as a cleanup.
"""

import atexit
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import harness

CONTEST = "gub-62"
DBNAME = "suara"


def pg_bin(name):
    for version in ("15", "16", "17"):
        path = f"/usr/lib/postgresql/{version}/bin/{name}"
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if not found:
        raise harness.SetupError(f"{name} not found (Debian package postgresql)")
    return found


class Node:
    """One PostgreSQL instance on 127.0.0.1:port with trust authentication for
    loopback connections (also for replication)."""

    def __init__(self, name):
        self.name = name
        self.root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix=f"suara-ha-{name}-", dir="/tmp")
        self.data = os.path.join(self.dir, "data")
        self.port = harness.free_port()
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)

    # --- programs ---------------------------------------------------------------

    def run(self, *cmd, check=True, timeout=120):
        if self.root:
            cmd = ("runuser", "-u", "postgres", "--") + cmd
        proc = subprocess.run(cmd, cwd="/", capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def conf(self, text):
        """Appends settings to postgresql.conf (later lines win)."""
        path = os.path.join(self.data, "postgresql.conf")
        with open(path, "a") as f:
            f.write("\n" + text + "\n")

    def init_primary(self):
        """initdb, configured as a primary that standbys can stream from."""
        self.run(pg_bin("initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "-E",
                 "UTF8", "--no-locale", "--no-sync")
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\nhost all all 127.0.0.1/32 trust\n"
                    "host replication all 127.0.0.1/32 trust\n")
        # fsync off: the drills kill processes, never the machine, so the page
        # cache keeps what was written; it spares the shared disk.
        self.conf(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                  f"unix_socket_directories = '{self.dir}'\n"
                  "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n"
                  "fsync = off\nfull_page_writes = off\nsynchronous_commit = on\n"
                  "max_connections = 30\nshared_buffers = 16MB\n"
                  "wal_sender_timeout = 5s\nwal_receiver_status_interval = 1s\n")
        return self

    def init_from_template(self):
        """A primary with the suara database, copied from the process's
        template cluster (made once: initdb, migrate and seed are the slow part)."""
        self._copy_template()
        self.conf(f"port = {self.port}\nunix_socket_directories = '{self.dir}'\n")
        return self

    def init_standby_from_template(self, primary):
        """A streaming standby of `primary`, which was made from the template
        too: both start from the same cleanly stopped cluster, so the standby
        needs no base backup to stream from there on."""
        self._copy_template()
        open(os.path.join(self.data, "standby.signal"), "w").close()
        self._standby_conf(primary)
        return self

    def _copy_template(self):
        # cp -a keeps the owner (postgres, when we are root) and is much
        # faster than a copy file by file from Python.
        subprocess.run(["cp", "-a", template_data(), self.data], check=True, timeout=120)

    def _standby_conf(self, primary):
        self.conf(f"port = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                  f"primary_conninfo = 'host=127.0.0.1 port={primary.port} user=postgres "
                  f"application_name={self.name}'\n"
                  "synchronous_standby_names = ''\n")

    def start(self):
        self.run(pg_bin("pg_ctl"), "start", "-D", self.data, "-l",
                 os.path.join(self.dir, "server.log"), "-w", "-t", "60")
        return self

    def stop(self, mode="fast"):
        self.run(pg_bin("pg_ctl"), "stop", "-D", self.data, "-m", mode, "-w", "-t", "60")

    def promote(self):
        self.run(pg_bin("pg_ctl"), "promote", "-D", self.data, "-w", "-t", "60")

    def running(self):
        return self.run(pg_bin("pg_ctl"), "status", "-D", self.data, check=False).returncode == 0

    def kill(self):
        """SIGKILL to the postmaster and every process it started, as if the
        machine had died: nothing is flushed, nothing says goodbye."""
        pid_file = os.path.join(self.data, "postmaster.pid")
        with open(pid_file) as f:
            postmaster = int(f.readline())
        pids = [postmaster] + _children(postmaster)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        harness.wait_until(lambda: not any(_alive(p) for p in pids), timeout=30,
                           message=f"{self.name}'s processes to die")

    def destroy(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self.kill()
            except (OSError, ValueError, AssertionError):
                pass
        if not harness.KEEP:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # --- SQL --------------------------------------------------------------------

    def conninfo(self, db=DBNAME):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={db}"

    def rows(self, sql, db=DBNAME):
        """One query's rows as tuples of str (None for NULL), like harness.Database.rows."""
        proc = subprocess.run(
            [pg_bin("psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
             "-R", "\x1e", "-P", "null=\x1d", "-d", self.conninfo(db), "-c", sql],
            capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"psql on {self.name} failed on {sql!r}:\n{proc.stderr}")
        out = proc.stdout.rstrip("\n")
        if out == "":
            return []
        return [tuple(None if v == "\x1d" else v for v in row.split("\x1f"))
                for row in out.split("\x1e")]

    def value(self, sql, db=DBNAME):
        rows = self.rows(sql, db)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise AssertionError(f"expected one value from {sql!r}, got {rows!r}")
        return rows[0][0]

    def psql(self, sql, db=DBNAME):
        self.rows(sql, db)

    def create_suara_db(self):
        """The suara database, migrated and seeded (Kalimantan Tengah 2024)."""
        self.psql(f"CREATE DATABASE {DBNAME}", db="postgres")
        for args in (("migrate", "--db", self.conninfo(), "--schema", harness.SCHEMA_DIR),
                     ("seed", "--db", self.conninfo(), harness.SEED_DIR)):
            proc = harness.suara(*args)
            if proc.returncode != 0:
                raise AssertionError(f"suara {args[0]} failed:\n{proc.stderr}")

    def token(self, role="witness", scope="62"):
        proc = harness.suara("token", "create", "--db", self.conninfo(), "--role", role,
                             "--scope", scope)
        token = proc.stdout.splitlines()[0] if proc.stdout else ""
        if proc.returncode != 0 or not harness.TOKEN_RE.match(token):
            raise AssertionError(f"token create failed: {proc.stdout} {proc.stderr}")
        return token

    def wait_replayed(self, primary, timeout=30):
        """Waits until this standby has replayed everything primary has written."""
        lsn = primary.value("SELECT pg_current_wal_lsn()", db="postgres")
        harness.wait_until(
            lambda: self.value(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn",
                               db="postgres") == "t",
            timeout=timeout, message=f"{self.name} to replay up to {lsn}")


_template = None


def template_data():
    """The data folder of a stopped cluster with the suara database migrated
    and seeded, made on first use and removed at exit."""
    global _template
    if _template is None:
        node = Node("template").init_primary()
        atexit.register(node.destroy)
        node.start()
        node.create_suara_db()
        node.stop()
        _template = node
    return _template.data


def _children(pid):
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(p) for p in f.read().split()]
    except OSError:
        pass
    return out


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def multi_host_conninfo(*nodes):
    """What an operator gives `suara serve --db`: every node, the writable one wins."""
    hosts = ",".join("127.0.0.1" for _ in nodes)
    ports = ",".join(str(n.port) for n in nodes)
    # The keepalive and tcp_user_timeout settings of docs/operations.md: a
    # dead peer is noticed in seconds.
    return (f"host={hosts} port={ports} user=postgres dbname={DBNAME} "
            "target_session_attrs=read-write keepalives=1 keepalives_idle=5 "
            "keepalives_interval=2 keepalives_count=3 tcp_user_timeout=3000")


def primary_with_standby(test, sync=True):
    """A primary and one streaming standby ("standby1"), started, with the
    suara database; with sync=True every commit waits for the standby.
    Both are destroyed when the test ends."""
    primary = Node("primary").init_from_template()
    test.addCleanup(primary.destroy)
    standby = Node("standby1").init_standby_from_template(primary)
    test.addCleanup(standby.destroy)
    primary.start()
    standby.start()
    if sync:  # only now: until the standby runs, every commit would wait
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (standby1)'",
                     db="postgres")
        primary.psql("SELECT pg_reload_conf()", db="postgres")
        harness.wait_until(
            lambda: primary.value("SELECT count(*) FROM pg_stat_replication WHERE "
                                  "sync_state IN ('sync', 'quorum')", db="postgres") == "1",
            timeout=30, message="the standby to be synchronous")
    return primary, standby


# --- clients -------------------------------------------------------------------

def tps_pool(node, seed=62):
    rows = node.rows("SELECT code, dpt FROM tps WHERE dpt BETWEEN 50 AND 600 ORDER BY code")
    pool = [(code, int(dpt)) for code, dpt in rows]
    random.Random(seed).shuffle(pool)
    return pool


def post(port, body, token, conn=None, timeout=10, keep=False):
    """One POST /api/v1/forms on conn (or a new connection); returns (status,
    parsed body, conn-or-None) or raises OSError. A new connection is closed
    afterwards unless keep=True."""
    keep = keep or conn is not None
    if conn is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/api/v1/forms", body=json.dumps(body).encode(),
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        raise OSError("connection failed")
    try:
        parsed = json.loads(data) if data else None
    except ValueError:  # not from suara (a proxy's own error page)
        parsed = None
    if resp.will_close or not keep:
        conn.close()
        conn = None
    return resp.status, parsed, conn


def get(port, path, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        ctype = resp.headers.get("Content-Type", "")
        return resp.status, json.loads(data) if data and "json" in ctype else data
    finally:
        conn.close()


# A proxy's own answers when the server it chose gave none: 502 (the server
# closed the connection before answering, e.g. killed with the request in
# flight) and 504 (no answer in time); 503 without Suara's JSON error body is
# the proxy with no server up. haproxy never sends a POST that reached a server
# again, so a phone retries it with the same submission_id, as for a broken
# connection.
GATEWAY_STATUSES = (502, 503, 504)


def suara_error_code(body):
    """The error code of a Suara error body, or None (not Suara's answer)."""
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None


class Witness(threading.Thread):
    """Submits forms one after another, each retried with its submission_id
    until answered 201/200, until `stop` is set (then finishes the current one)
    or the deadline passes. Records every acknowledgement with its time
    (time.monotonic()) and every other answer. `ports` may list several
    servers: a refused connection or a 503 moves on to the next, as a load
    balancer would.

    Answers are kept apart by who gave them: `refusals` are Suara's own 503s
    (with its error code: not_ready, ack_timeout, ...); `gateway` are a
    proxy's answers for a server that did not answer (see GATEWAY_STATUSES);
    `problems` is anything else, which no drill expects."""

    def __init__(self, ports, token, forms, stop, deadline, pace=0.02):
        super().__init__(daemon=True)
        self.ports = list(ports) if isinstance(ports, (list, tuple)) else [ports]
        self.token, self.forms, self.stop = token, forms, stop
        self.deadline, self.pace = deadline, pace
        self.acks = {}       # sid -> (body, time, status, port)
        self.sent = {}       # sid -> when it was first sent
        self.refusals = []   # (sid, status, code, time): Suara's 503s
        self.gateway = []    # (sid, status, time): a proxy's 502/503/504
        self.problems = []

    def run(self):
        conn, at = None, 0
        for form in self.forms:
            if self.stop.is_set():
                break
            sid = form["submission_id"]
            while True:
                if time.monotonic() > self.deadline:
                    self.problems.append(f"{sid}: still not acknowledged when the witness's "
                                         "deadline passed (the drill took too long)")
                    return
                port = self.ports[at % len(self.ports)]
                try:
                    self.sent.setdefault(sid, time.monotonic())
                    status, body, conn = post(port, form, self.token, conn, keep=True)
                except OSError:
                    conn, at = None, at + 1
                    time.sleep(0.05)
                    continue
                if status in (200, 201):
                    self.acks[sid] = (body, time.monotonic(), status, port)
                    break
                code = suara_error_code(body)
                if status == 503 and code is not None:
                    self.refusals.append((sid, status, code, time.monotonic()))
                elif status in GATEWAY_STATUSES and code is None:
                    self.gateway.append((sid, status, time.monotonic()))
                else:
                    self.problems.append(f"{sid}: answered {status} {body} by port {port}")
                    break
                if conn is not None:
                    conn.close()
                conn, at = None, at + 1
                time.sleep(0.1)
            time.sleep(self.pace)
        if conn is not None:
            conn.close()


def run_witnesses(ports, tokens, pool, prefix, per_witness, deadline_s=400):
    """Starts one Witness per token with its own slice of the TPS pool;
    returns (witnesses, stop event). The deadline only ends a witness whose
    test has failed without stopping it: a drill under sanitizers on a busy
    machine stays well inside it."""
    stop = threading.Event()
    deadline = time.monotonic() + deadline_s
    witnesses = []
    for i, token in enumerate(tokens):
        chunk = pool[i * per_witness:(i + 1) * per_witness]
        forms = [harness.build_form(f"{prefix}{i}-{code}", code, dpt) for code, dpt in chunk]
        witnesses.append(Witness(ports, token, forms, stop, deadline))
    for w in witnesses:
        w.start()
    return witnesses, stop


def refusals(witnesses, after=None, before=None):
    """Suara's 503s as (sid, code) in [after, before) (times of time.monotonic())."""
    return [(sid, code) for w in witnesses for sid, _, code, at in w.refusals
            if (after is None or at >= after) and (before is None or at < before)]


def gateway_answers(witnesses, after=None, before=None):
    """A proxy's 502/503/504 as (sid, status) in [after, before)."""
    return [(sid, status) for w in witnesses for sid, status, at in w.gateway
            if (after is None or at >= after) and (before is None or at < before)]


def first_new_ack(witnesses, after, port=None):
    """When the first form first sent after `after` was acknowledged (by
    `port`, if given), or None."""
    times = [at for w in witnesses for sid, (_, at, _, p) in w.acks.items()
             if w.sent[sid] > after and (port is None or p == port)]
    return min(times) if times else None


def all_acks(witnesses):
    return {sid: ack for w in witnesses for sid, ack in w.acks.items()}


def stop_witnesses(test, witnesses, stop):
    stop.set()
    for w in witnesses:
        w.join(60)
    test.assertFalse(any(w.is_alive() for w in witnesses),
                     "a witness did not finish its form within 60 s of being stopped")
    test.assertEqual([p for w in witnesses for p in w.problems], [],
                     "answers no drill expects (neither 200/201 nor a 503 or a proxy's 502/504)")


def stored_forms(node, prefix):
    """submission_id -> (form id, receipt, times stored) of the drill's forms on node."""
    rows = node.rows("SELECT submission_id, id, receipt, count(*) OVER (PARTITION BY "
                     f"submission_id) FROM forms WHERE submission_id LIKE '{prefix}%'")
    return {sid: (int(i), receipt, int(n)) for sid, i, receipt, n in rows}


def assert_acks_stored(test, node, acks, prefix):
    """Every acknowledged form is on node once, with its form id and receipt;
    nothing of the drill is stored that was not acknowledged."""
    stored = stored_forms(node, prefix)
    missing = sorted(sid for sid in acks if sid not in stored)
    test.assertEqual(missing, [], f"acknowledged but not on {node.name}")
    for sid, (body, _, _, _) in acks.items():
        form_id, receipt, n = stored[sid]
        test.assertEqual(n, 1, f"{sid} stored {n} times")
        test.assertEqual((body["form_id"], body["receipt"]), (form_id, receipt), sid)
    test.assertEqual(sorted(set(stored) - set(acks)), [], "stored but never acknowledged")


def assert_tallies_match_sql(test, port, node):
    """The server's province node and its children equal a SQL recount of node."""
    status, body = get(port, f"/api/v1/tally/{CONTEST}/62")
    test.assertEqual(status, 200, body)
    recount = harness.sql_recount(node, CONTEST)
    for region in [body] + body["children"]:
        flat = {k: v for k, v in harness.flat_tally(region).items()
                if v and k != "tps.total"}
        want = {k: v for k, v in recount.get(region["region"], {}).items() if v}
        test.assertEqual(flat, want, f"tallies of {region['region']} != SQL recount")
