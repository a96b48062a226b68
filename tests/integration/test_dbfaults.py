"""Database faults under load, on a PRIVATE PostgreSQL cluster that this module
starts (initdb into a temporary folder, unix socket only, a free port) so it
can stop, start and lock it without disturbing the shared test cluster.

- PostgreSQL stopped and started during load: meanwhile new forms get 503
  (storage_unavailable, or ack_timeout for those in flight) with Retry-After,
  /readyz 503 and /healthz 200; afterwards the same process recovers by itself
  and nothing acknowledged is lost or stored twice.
- A statement that fails inside PostgreSQL is never acknowledged.
- A database that hangs (forms locked by another session): 503 queue_full
  beyond --queue-max, ack_timeout after --ack-timeout-ms, bounded memory, and
  once the lock is gone everything queued commits and retries get 200.
"""

import http.client
import json
import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time

import harness

CONTEST = "gub-62"


def form_for(sid, tps, dpt):
    """A gub-62 form for `tps` that passes every check."""
    return harness.build_form(sid, tps, dpt)


# --- a private PostgreSQL cluster ---------------------------------------------------

def pg_bin(name):
    for version in ("17", "16", "15"):
        path = f"/usr/lib/postgresql/{version}/bin/{name}"
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(name)
    if not found:
        raise harness.SetupError(f"{name} not found (Debian package postgresql)")
    return found


class PrivateCluster:
    """initdb + pg_ctl in a temporary folder, run as the postgres OS user when
    we are root (PostgreSQL refuses to run as root). Unix socket only."""

    def __init__(self):
        self.root = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="suara-pgf-", dir="/tmp")
        self.data = os.path.join(self.dir, "data")
        self.port = harness.free_port()
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        self.run(pg_bin("initdb"), "-D", self.data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--no-locale")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{self.dir}'\n"
                    f"port = {self.port}\nfsync = off\nfull_page_writes = off\n"
                    "synchronous_commit = off\nmax_connections = 30\n")
        self.conninfo = f"host={self.dir} port={self.port} user=postgres"
        self.start()

    def run(self, *cmd, check=True):
        if self.root:
            cmd = ("runuser", "-u", "postgres", "--") + cmd
        proc = subprocess.run(cmd, cwd="/", capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def start(self):
        self.run(pg_bin("pg_ctl"), "start", "-D", self.data, "-l",
                 os.path.join(self.dir, "server.log"), "-w", "-t", "30")

    def stop(self, mode="fast"):
        self.run(pg_bin("pg_ctl"), "stop", "-D", self.data, "-m", mode, "-w", "-t", "30")

    def destroy(self):
        self.run(pg_bin("pg_ctl"), "stop", "-D", self.data, "-m", "immediate", "-w", check=False)
        if not harness.KEEP:
            shutil.rmtree(self.dir, ignore_errors=True)


class PrivateDB:
    def __init__(self, cluster, name="suara_faults"):
        self.conninfo = f"{cluster.conninfo} dbname={name}"
        self.psql_bin = pg_bin("psql")
        self.psql(f"CREATE DATABASE {name}", db="postgres", cluster=cluster)
        for args in (("migrate", "--db", self.conninfo, "--schema", harness.SCHEMA_DIR),
                     ("seed", "--db", self.conninfo, harness.SEED_DIR)):
            proc = harness.suara(*args)
            if proc.returncode != 0:
                raise AssertionError(f"suara {args[0]} failed:\n{proc.stderr}")

    def psql(self, sql, db=None, cluster=None):
        conninfo = f"{cluster.conninfo} dbname={db}" if db else self.conninfo
        proc = subprocess.run([self.psql_bin, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                               "-d", conninfo, "-c", sql],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise AssertionError(f"psql failed on {sql!r}:\n{proc.stderr}")
        return proc.stdout.rstrip("\n")

    def rows(self, sql):
        out = self.psql(sql)
        return [tuple(line.split("|")) for line in out.splitlines()] if out else []

    def value(self, sql):
        return self.psql(sql)

    def token(self, role, scope):
        proc = harness.suara("token", "create", "--db", self.conninfo, "--role", role,
                             "--scope", scope)
        token = proc.stdout.splitlines()[0] if proc.stdout else ""
        if proc.returncode != 0 or not harness.TOKEN_RE.match(token):
            raise AssertionError(f"token create failed: {proc.stdout} {proc.stderr}")
        return token


# --- clients ------------------------------------------------------------------------

def post(port, body, token, conn=None, timeout=10, keep=False):
    """One POST; returns (status, headers, parsed body, conn) or raises OSError.
    With keep=True the connection is returned for reuse (None once closed)."""
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
    parsed = json.loads(data) if data else None
    if resp.will_close or not keep:
        conn.close()
        conn = None
    return resp.status, resp.headers, parsed, conn


def get(port, path, timeout=3):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None
    finally:
        conn.close()


class Witness(threading.Thread):
    """Submits new forms one after another (each retried with its submission_id
    until answered 201/200) until `stop` is set, then finishes the current one."""

    def __init__(self, port, token, forms, stop, deadline, pace=0.01):
        super().__init__(daemon=True)
        self.port, self.token, self.forms, self.stop = port, token, forms, stop
        self.deadline, self.pace = deadline, pace
        self.acks = {}        # sid -> body of the 201/200
        self.unavailable = []  # (sid, code, retry_after) of every 503
        self.problems = []

    def run(self):
        conn = None
        for form in self.forms:
            if self.stop.is_set():
                break
            sid = form["submission_id"]
            while True:
                if time.monotonic() > self.deadline:
                    self.problems.append(f"{sid}: not acknowledged before the deadline")
                    return
                try:
                    status, headers, body, conn = post(self.port, form, self.token, conn, keep=True)
                except OSError:
                    conn = None
                    time.sleep(0.05)
                    continue
                if status in (200, 201):
                    self.acks[sid] = body
                    break
                if status == 503:
                    code = (body or {}).get("error", {}).get("code")
                    self.unavailable.append((sid, code, headers.get("Retry-After")))
                    time.sleep(0.1)
                    continue
                self.problems.append(f"{sid}: {status} {body}")
                break
            time.sleep(self.pace)
        if conn is not None:
            conn.close()


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


class DbFaultsTest(harness.SuaraTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cluster = PrivateCluster()
        cls.addClassCleanup(cls.cluster.destroy)
        cls.pdb = PrivateDB(cls.cluster)
        cls.tokens = [cls.pdb.token("witness", "62") for _ in range(5)]
        rows = cls.pdb.rows("SELECT code, dpt FROM tps WHERE dpt BETWEEN 50 AND 600 ORDER BY code")
        pool = [(code, int(dpt)) for code, dpt in rows]
        random.Random(62).shuffle(pool)
        cls.pool = pool
        cls.next = 0

    @classmethod
    def forms(cls, n, prefix):
        out = []
        for code, dpt in cls.pool[cls.next:cls.next + n]:
            out.append(form_for(f"{prefix}-{code}", code, dpt))
        cls.next += n
        return out

    def setUp(self):
        # every test starts with PostgreSQL running and no fault installed
        if self.cluster.run(pg_bin("pg_ctl"), "status", "-D", self.cluster.data,
                            check=False).returncode != 0:
            self.cluster.start()

    def assert_stored_once(self, acks):
        """Every acknowledged form is in the database, once, as acknowledged."""
        sids = list(acks)
        rows = self.pdb.rows("SELECT submission_id, id, status, count(*) OVER (PARTITION BY "
                             "submission_id) FROM forms")
        stored = {sid: (int(i), status, int(n)) for sid, i, status, n in rows}
        missing = [s for s in sids if s not in stored]
        self.assertEqual(missing, [], "acknowledged but not stored")
        for sid in sids:
            form_id, status, n = stored[sid]
            self.assertEqual(n, 1, f"{sid} stored {n} times")
            self.assertEqual(acks[sid]["form_id"], form_id, sid)
            self.assertEqual(acks[sid]["status"], "counted", sid)
            self.assertEqual(status, "counted", sid)

    def assert_tallies_match_sql(self, port):
        status, node = get(port, f"/api/v1/tally/{CONTEST}/62")
        self.assertEqual(status, 200)
        row = self.pdb.rows(
            "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(valid), 0), "
            "coalesce(sum(invalid), 0) FROM forms "
            f"WHERE contest = '{CONTEST}' AND status = 'counted'")[0]
        self.assertEqual((node["tps"]["counted"], node["voted"], node["valid"], node["invalid"]),
                         tuple(int(v) for v in row), "API tallies != SQL recount")

    def test_postgres_stopped_and_started(self):
        server = self.start_server("--ack-timeout-ms", 1000, "--rate-per-minute", 0,
                                   "--batch-delay-ms", 5, db=self.pdb.conninfo, ready=True)
        pid = server.proc.pid
        stop = threading.Event()
        deadline = time.monotonic() + 60
        witnesses = [Witness(server.port, self.tokens[i], self.forms(300, f"pgstop{i}"), stop,
                             deadline) for i in range(4)]
        for w in witnesses:
            w.start()
        acked = lambda: sum(len(w.acks) for w in witnesses)
        probe_token = self.tokens[4]
        probes = self.forms(4, "probe")
        for outage in range(2):
            harness.wait_until(lambda: acked() >= 40 * (outage + 1), timeout=20,
                               message="acknowledgements before the outage")
            self.cluster.stop("fast")
            harness.wait_until(lambda: get(server.port, "/readyz")[0] == 503, timeout=5,
                               message="/readyz 503 while PostgreSQL is down")
            status, body = get(server.port, "/readyz")
            self.assertEqual(body.get("status"), "not_ready", body)
            self.assertEqual(get(server.port, "/healthz")[0], 200)
            # a new form while the database is down: 503, nothing stored
            status, headers, body, _ = post(server.port, probes[outage], probe_token)
            self.assertEqual(status, 503, body)
            self.assertEqual(body["error"]["code"], "storage_unavailable", body)
            self.assertTrue((headers.get("Retry-After") or "").isdigit(), dict(headers))
            time.sleep(1.5)  # the witnesses keep retrying meanwhile
            self.cluster.start()
            harness.wait_until(lambda: get(server.port, "/readyz")[0] == 200, timeout=15,
                               message="/readyz 200 after PostgreSQL is back")
            self.assertTrue(server.running and server.proc.pid == pid, "the server restarted")
            # a new form after recovery is stored at once
            status, _, body, _ = post(server.port, probes[2 + outage], probe_token)
            self.assertEqual(status, 201, body)
        time.sleep(0.5)
        stop.set()
        for w in witnesses:
            w.join(30)
        self.assertFalse(any(w.is_alive() for w in witnesses))
        self.assertEqual([p for w in witnesses for p in w.problems], [])
        unavailable = [u for w in witnesses for u in w.unavailable]
        self.assertTrue(unavailable, "the witnesses never noticed the outages")
        codes = {code for _, code, _ in unavailable}
        seen = ", ".join(f"{c} x{sum(1 for u in unavailable if u[1] == c)}"
                         for c in sorted(codes))
        print(f"\n  {sum(len(w.acks) for w in witnesses)} forms acknowledged; 503s seen: {seen}",
              flush=True)
        self.assertLessEqual(codes, {"storage_unavailable", "ack_timeout"}, unavailable[:20])
        self.assertTrue(all(ra and ra.isdigit() for _, _, ra in unavailable), unavailable[:20])

        acks = {sid: body for w in witnesses for sid, body in w.acks.items()}
        # the probes that got 503 were never stored; retried now they are stored once
        for probe in probes[:2]:
            sid = probe["submission_id"]
            self.assertEqual(self.pdb.value(f"SELECT count(*) FROM forms WHERE submission_id = "
                                            f"'{sid}'"), "0", f"{sid} was stored despite its 503")
            status, _, body, _ = post(server.port, probe, probe_token)
            self.assertEqual(status, 201, body)
            acks[sid] = body
        for probe in probes[2:]:
            status, _, body, _ = post(server.port, probe, probe_token)
            self.assertEqual(status, 200, body)
            acks[probe["submission_id"]] = body
        retried = {sid for w in witnesses for sid, _, _ in w.unavailable}
        self.assertTrue(retried <= set(acks), "a form that got 503 was never acknowledged")
        self.assert_stored_once(acks)
        self.assertEqual(int(self.pdb.value("SELECT count(*) FROM forms WHERE submission_id ~ "
                                            "'^(pgstop|probe)'")), len(acks),
                         "forms stored that were never acknowledged")
        self.assert_tallies_match_sql(server.port)

    def test_failing_statement_is_not_acknowledged(self):
        """A batch PostgreSQL rejects (a trigger raises) must not be answered as
        committed; once the fault is gone the same forms commit exactly once."""
        victim, bystander = self.forms(2, "fault")
        self.pdb.psql(
            "CREATE TABLE IF NOT EXISTS fault (tps text);"
            "CREATE OR REPLACE FUNCTION fault_trigger() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF EXISTS (SELECT 1 FROM fault WHERE tps = NEW.tps) THEN"
            " RAISE EXCEPTION 'injected fault for %', NEW.tps; END IF; RETURN NEW; END $$;"
            "DROP TRIGGER IF EXISTS fault ON forms;"
            "CREATE TRIGGER fault BEFORE INSERT ON forms FOR EACH ROW "
            "EXECUTE FUNCTION fault_trigger();"
            f"INSERT INTO fault VALUES ('{victim['tps']}')")
        self.addCleanup(self.pdb.psql, "DROP TRIGGER IF EXISTS fault ON forms; DELETE FROM fault")
        server = self.start_server("--ack-timeout-ms", 1000, "--rate-per-minute", 0,
                                   db=self.pdb.conninfo, ready=True)
        token = self.tokens[0]
        answers = {}
        for form in (victim, bystander):
            status, headers, body, _ = post(server.port, form, token)
            answers[form["submission_id"]] = (status, body)
        for sid, (status, body) in answers.items():
            stored = self.pdb.value(f"SELECT count(*) FROM forms WHERE submission_id = '{sid}'")
            if status in (200, 201):
                self.assertEqual(stored, "1", f"{sid} acknowledged {status} but not stored: {body}")
            else:  # not stored: the witness must be told to retry
                self.assertEqual(status, 503, body)
                self.assertIsInstance(body["error"]["code"], str, body)
        vsid = victim["submission_id"]
        self.assertEqual(self.pdb.value(f"SELECT count(*) FROM forms WHERE submission_id = "
                                        f"'{vsid}'"), "0")
        self.assertEqual(get(server.port, "/healthz")[0], 200)
        self.pdb.psql("DELETE FROM fault")
        acks = {}
        for form in (victim, bystander):
            sid = form["submission_id"]
            deadline = time.monotonic() + 15
            while True:
                status, _, body, _ = post(server.port, form, token)
                if status in (200, 201) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            self.assertIn(status, (200, 201), f"{sid} after the fault was cleared: {body}")
            acks[sid] = body
        self.assert_stored_once(acks)
        self.assert_tallies_match_sql(server.port)

    def test_hanging_database(self):
        queue_max, batch_max = 50, 10
        opts = os.environ.get("ASAN_OPTIONS", "")
        env = {"ASAN_OPTIONS": (opts + ":" if opts else "") +
               "quarantine_size_mb=4:thread_local_quarantine_size_kb=64"}
        server = self.start_server("--queue-max", queue_max, "--ack-timeout-ms", 1000,
                                   "--batch-max", batch_max, "--rate-per-minute", 0,
                                   db=self.pdb.conninfo, env=env, ready=True)
        pid = server.proc.pid
        locker = subprocess.Popen([pg_bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                                   self.pdb.conninfo], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        released = False
        try:
            locker.stdin.write("BEGIN;\nLOCK TABLE forms IN ACCESS EXCLUSIVE MODE;\n"
                               "\\echo locked\n")
            locker.stdin.flush()
            self.assertEqual(locker.stdout.readline().strip(), "locked")

            forms = self.forms(120, "hang")
            results = {}
            lock = threading.Lock()

            def submit(chunk, token):
                conn = None
                for form in chunk:
                    t = time.monotonic()
                    try:
                        status, headers, body, conn = post(server.port, form, token, conn,
                                                           keep=True)
                    except OSError as e:
                        status, headers, body, conn = 0, {}, {"error": {"code": str(e)}}, None
                    with lock:
                        results[form["submission_id"]] = (
                            status, (body or {}).get("error", {}).get("code"),
                            headers.get("Retry-After"), time.monotonic() - t)
                if conn is not None:
                    conn.close()

            threads = [threading.Thread(target=submit, args=(forms[i::12], self.tokens[i % 5]))
                       for i in range(12)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            self.assertEqual(len(results), len(forms))
            statuses = {sid: r[0] for sid, r in results.items()}
            self.assertEqual(set(statuses.values()), {503}, results)
            timed_out = [sid for sid, r in results.items() if r[1] == "ack_timeout"]
            full = [sid for sid, r in results.items() if r[1] == "queue_full"]
            self.assertEqual(len(timed_out) + len(full), len(forms), results)
            self.assertGreaterEqual(len(timed_out), queue_max, "the queue never filled")
            self.assertLessEqual(len(timed_out), queue_max + batch_max,
                                 f"more forms waited than --queue-max {queue_max} + one batch")
            self.assertTrue(all(r[2] and r[2].isdigit() for r in results.values()), results)
            for sid in timed_out:
                self.assertGreaterEqual(results[sid][3], 0.9, f"{sid}: ack_timeout too early")
                self.assertLess(results[sid][3], 3.0, f"{sid}: ack_timeout too late")

            # many more while it hangs: refused at once, memory bounded
            rss_before = vm_rss_kb(pid)
            extra = [form_for(f"hang-extra-{i}", forms[i % len(forms)]["tps"], 300)
                     for i in range(3000)]

            def flood(chunk, token):
                conn = None
                for form in chunk:
                    try:
                        status, _, body, conn = post(server.port, form, token, conn, keep=True)
                    except OSError:
                        conn = None
                        continue
                    with lock:
                        results[form["submission_id"]] = (status, (body or {}).get("error", {})
                                                          .get("code"), None, 0)
                if conn is not None:
                    conn.close()

            threads = [threading.Thread(target=flood, args=(extra[i::3], self.tokens[i]))
                       for i in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            growth_mb = (vm_rss_kb(pid) - rss_before) / 1024
            self.assertLess(growth_mb, 32, f"RSS grew {growth_mb:.1f} MB while the database hung")
            extra_codes = {results[f["submission_id"]][:2] for f in extra
                           if f["submission_id"] in results}
            self.assertEqual(extra_codes, {(503, "queue_full")})
            self.assertEqual(get(server.port, "/healthz")[0], 200)
            c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            try:
                c.request("GET", "/metrics")
                metrics = c.getresponse().read().decode()
            finally:
                c.close()
            depth = int(re.search(r"^suara_queue_depth (\d+)", metrics, re.M).group(1))
            self.assertLessEqual(depth, queue_max)

            locker.stdin.write("ROLLBACK;\n\\q\n")
            locker.stdin.flush()
            locker.wait(10)
            released = True

            # everything that was queued commits; its retries get 200, the
            # refused ones are new (201)
            acks = {}
            token_of = {f["submission_id"]: self.tokens[i % 5]
                        for i in range(12) for f in forms[i::12]}
            for form in forms:
                sid = form["submission_id"]
                status, _, body, _ = post(server.port, form, token_of[sid], timeout=15)
                want = 200 if sid in timed_out else 201
                self.assertEqual(status, want, f"{sid} ({results[sid][1]}) retried: {body}")
                acks[sid] = body
            self.assert_stored_once(acks)
            self.assertEqual(self.pdb.value("SELECT count(*) FROM forms WHERE submission_id "
                                            "LIKE 'hang-extra-%'"), "0")
            self.assert_tallies_match_sql(server.port)
        finally:
            if not released:
                locker.kill()
            locker.wait(10)
            locker.stdin.close()
            locker.stdout.close()


if __name__ == "__main__":
    harness.main()
