"""Integration-test harness: drives the real `suara` binary against a real PostgreSQL.

Python 3 standard library only; WebSocket helpers import `websocket` (Debian's
python3-websocket) when first used. Run a test module with /usr/bin/python3;
ctest does (see tests/CMakeLists.txt), and `bash dev.sh test` sets up everything.

Environment:
  SUARA_TEST_PG     libpq conninfo of a PostgreSQL cluster, without dbname, as a
                    superuser, e.g. "host=/path/to/socketdir port=5433 user=postgres".
                    Required: without it every test fails (it is never skipped).
  SUARA_BIN         the suara binary (default: SUARA_SOURCE_DIR/build/bin/suara)
  SUARA_SOURCE_DIR  the source tree (default: two folders up from this file)
  SUARA_TEST_KEEP   "1" keeps the test databases and server logs after the run

A test module:

    import harness

    class FormTest(harness.SuaraTestCase):
        def test_submit(self):
            server = self.start_server()              # on a free port, /healthz answered
            token = self.make_token("witness", "62.01.01.1011.001")
            status, headers, body = server.request("POST", "/api/v1/forms", {...}, token=token)
            self.assertEqual(status, 201, body)
            self.assertEqual(self.psql("SELECT count(*) FROM forms"), "1")

    if __name__ == "__main__":
        harness.main()

Every SuaraTestCase class shares one database per test module: created, migrated
and seeded with the Kalimantan Tengah 2024 data when the first class starts
(`seed = False` on a class gives an empty, migrated one), dropped when the module
ends. `harness.Database()` makes extra, independent databases. A server started
with start_server() is stopped at the end of its test, and that stop asserts a
clean exit (status 0, no sanitizer report).

For form tests: build_form() makes a valid C1 form body, flat_tally() flattens a
tally node, contribution() is what a counted form adds to each node above it, and
sql_recount() recounts the tallies from the forms table in the same flat shape,
so the server's numbers can be compared with the stored forms. A SuaraTestCase
also finds TPS without forms (fresh_tps) and holds a table lock (lock_table).
"""

import atexit
import http.client
import json
import os
import re
import resource
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("SUARA_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUARA_BIN = os.environ.get("SUARA_BIN") or os.path.join(SOURCE_DIR, "build", "bin", "suara")
SCHEMA_DIR = os.path.join(SOURCE_DIR, "schema")
SEED_DIR = os.path.join(SOURCE_DIR, "schema", "seed", "kalteng-2024")
KEEP = os.environ.get("SUARA_TEST_KEEP") == "1"

# Generous: sanitizer builds start and stop several times slower.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
COMMAND_TIMEOUT = 120.0

TOKEN_RE = re.compile(r"^sk_[A-Za-z0-9_-]{43}$")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "WARNING: ThreadSanitizer")


class SetupError(RuntimeError):
    """The test environment is missing something (never a reason to skip)."""


def test_pg():
    """The cluster conninfo from SUARA_TEST_PG; raises SetupError when unset."""
    value = os.environ.get("SUARA_TEST_PG", "").strip()
    if not value:
        raise SetupError(
            "SUARA_TEST_PG is not set: integration tests need a PostgreSQL cluster "
            "(a libpq conninfo without dbname, e.g. 'host=/socket/dir port=5433 user=postgres'). "
            "`bash dev.sh test` starts one and sets it.")
    if not os.access(SUARA_BIN, os.X_OK):
        raise SetupError(f"SUARA_BIN {SUARA_BIN} is not an executable: build first")
    return value


def psql_binary():
    """The psql program: from PATH, else from the PostgreSQL server packages."""
    found = shutil.which("psql")
    if found:
        return found
    for version in ("17", "16", "15"):
        path = f"/usr/lib/postgresql/{version}/bin/psql"
        if os.access(path, os.X_OK):
            return path
    raise SetupError("psql not found (Debian package postgresql-client)")


_tmpdir = None


def tmpdir():
    """A scratch folder for this process (server logs, copied seed folders);
    removed at exit unless SUARA_TEST_KEEP=1."""
    global _tmpdir
    if _tmpdir is None:
        _tmpdir = tempfile.mkdtemp(prefix="suara-test-")
    return _tmpdir


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_open_files(sockets):
    """Raises this process's soft open-file limit (inherited by the load
    generators it starts) towards sockets + 4096, within the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, sockets + 4096)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return hard


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Polls predicate() until it returns a true value, which is returned;
    raises AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def metric(server, name):
    """The value of an unlabelled (or fully labelled) counter or gauge in the
    server's /metrics; fails when the server does not export it."""
    status, _, body = server.get("/metrics")
    assert status == 200, body
    found = re.search(rf"^{re.escape(name)} (\d+)$", body, re.M)
    assert found, f"{name} not in /metrics"
    return int(found.group(1))


def suara(*args, env=None, input=None, timeout=COMMAND_TIMEOUT):
    """Runs `suara ARGS...` and returns the CompletedProcess (text stdout and
    stderr, returncode). Does not check the exit status. env adds to os.environ;
    a value of None removes the variable."""
    full_env = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    return subprocess.run([SUARA_BIN, *map(str, args)], env=full_env, input=input,
                          capture_output=True, text=True, timeout=timeout)


def _check(proc, what):
    if proc.returncode != 0:
        raise AssertionError(f"{what} failed with exit status {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


# --- databases -------------------------------------------------------------

_databases = []


class Database:
    """A fresh database on the SUARA_TEST_PG cluster, dropped at process exit
    (or by drop()). `conninfo` is what --db takes."""

    def __init__(self, label="t", migrate=False, seed=False):
        self.cluster = test_pg()
        label = re.sub(r"[^a-z0-9_]", "_", label.lower())[:30]
        self.name = f"suara_t_{label}_{secrets.token_hex(4)}"
        self.conninfo = f"{self.cluster} dbname={self.name}"
        self.dropped = False
        _psql(f"{self.cluster} dbname=postgres", f'CREATE DATABASE "{self.name}"')
        _databases.append(self)
        if migrate or seed:
            self.migrate()
        if seed:
            self.seed()

    def psql(self, sql):
        """Runs SQL with psql -X -A -t (unaligned, tuples only); returns stdout
        without the final newline: one value is just that value, several rows
        are lines, columns are separated by '|'."""
        return _psql(self.conninfo, sql)

    def rows(self, sql):
        """Runs one query; returns its rows as tuples of str, None for NULL."""
        out = _psql(self.conninfo, sql, "-F", "\x1f", "-R", "\x1e", "-P", "null=\x1d")
        if out == "":
            return []
        return [tuple(None if v == "\x1d" else v for v in row.split("\x1f"))
                for row in out.split("\x1e")]

    def value(self, sql):
        """The single value of a one-row, one-column query (str, None for NULL)."""
        rows = self.rows(sql)
        if len(rows) != 1 or len(rows[0]) != 1:
            raise AssertionError(f"expected one value from {sql!r}, got {rows!r}")
        return rows[0][0]

    def migrate(self):
        return _check(suara("migrate", "--db", self.conninfo, "--schema", SCHEMA_DIR),
                      "suara migrate")

    def seed(self, folder=SEED_DIR):
        return _check(suara("seed", "--db", self.conninfo, folder), "suara seed")

    def make_token(self, role, scope, name=""):
        """Creates a token with `suara token create` and returns the secret."""
        proc = _check(suara("token", "create", "--db", self.conninfo, "--role", role,
                            "--scope", scope, "--name", name), "suara token create")
        token = proc.stdout.splitlines()[0] if proc.stdout else ""
        if not TOKEN_RE.match(token):
            raise AssertionError(f"suara token create printed {proc.stdout!r}")
        return token

    def drop(self):
        if self.dropped or KEEP:
            return
        self.dropped = True
        _psql(f"{self.cluster} dbname=postgres",
              f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _psql(conninfo, sql, *extra):
    proc = subprocess.run(
        [psql_binary(), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
         *extra, "-c", sql],
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    if proc.returncode != 0:
        raise AssertionError(f"psql failed on {sql!r}:\n{proc.stderr}")
    out = proc.stdout
    return out[:-1] if out.endswith("\n") else out


@atexit.register
def _cleanup():
    for db in _databases:
        try:
            db.drop()
        except Exception as e:  # keep dropping the others
            print(f"harness: could not drop {db.name}: {e}", file=sys.stderr)
    if _tmpdir and not KEEP:
        shutil.rmtree(_tmpdir, ignore_errors=True)


# --- the server ------------------------------------------------------------

class Server:
    """`suara serve` on 127.0.0.1 and a free port, stdout and stderr captured in
    a log file. Started (and /healthz answered) on construction unless
    start=False. Talks HTTP/1.1 with one keep-alive connection."""

    def __init__(self, db, *args, port=None, env=None, start=True, ready=False,
                 timeout=START_TIMEOUT):
        self.conninfo = db.conninfo if isinstance(db, Database) else str(db)
        self.args = [str(a) for a in args]
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.env = dict(os.environ, **(env or {}))
        self.log_path = os.path.join(tmpdir(), f"server-{self.port}-{secrets.token_hex(3)}.log")
        self.proc = None
        self._conn = None
        self._conn_uses = 0
        if start:
            self.start(ready=ready, timeout=timeout)

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, ready=False, timeout=START_TIMEOUT):
        """Starts the process (again, after stop/kill: same port, same log) and
        waits for /healthz to answer 200, or for /readyz too with ready=True."""
        if self.running:
            raise AssertionError("server already running")
        self._close()
        with open(self.log_path, "ab") as log:
            log.write(f"--- harness: starting {' '.join(self.command())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=self.env)
        self.wait_for("/healthz", timeout=timeout)
        if ready:
            self.wait_for("/readyz", timeout=timeout)
        return self

    def command(self):
        return [SUARA_BIN, "serve", "--db", self.conninfo, "--listen",
                f"{self.host}:{self.port}", *self.args]

    def wait_for(self, path="/healthz", status=200, timeout=START_TIMEOUT):
        """Polls GET path on fresh connections until it answers `status`."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with status {self.proc.returncode} before "
                                     f"{path} answered {status}\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    resp.read()
                    if resp.status == status:
                        return
                    last = f"status {resp.status}"
                finally:
                    conn.close()
            except OSError as e:
                last = str(e)
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} did not answer {status} within {timeout}s "
                                     f"(last: {last})\n{self.log_tail()}")
            time.sleep(0.05)

    # HTTP

    def request(self, method, path, body=None, headers=None, token=None, timeout=30.0):
        """Sends one request on the keep-alive connection and returns
        (status, headers, body). body: a dict or list is sent as JSON, str or
        bytes as they are. headers in the result is case-insensitive
        (http.client.HTTPMessage). The returned body is parsed JSON when the
        response says application/json, else text (bytes if not UTF-8).
        GET and HEAD are retried once on a fresh connection if a kept-alive one
        turns out to be closed; other methods never are."""
        send_headers = {}
        data = None
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
        elif body is not None:
            data = json.dumps(body).encode()
            send_headers["Content-Type"] = "application/json"
        if token:
            send_headers["Authorization"] = f"Bearer {token}"
        send_headers.update(headers or {})
        for attempt in (1, 2):
            conn = self._connection(timeout)
            reused = self._conn_uses > 0
            try:
                conn.request(method, path, body=data, headers=send_headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._close()
                if attempt == 1 and reused and method in ("GET", "HEAD"):
                    continue
                raise
            except Exception:
                self._close()
                raise
            self._conn_uses += 1
            if resp.will_close:
                self._close()
            return resp.status, resp.headers, _parse_body(raw, resp.headers)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def _connection(self, timeout):
        if self._conn is not None and self._conn.sock is not None:
            # A kept-alive socket that is readable before we send has been
            # closed by the server (or holds garbage): start over.
            readable, _, _ = select.select([self._conn.sock], [], [], 0)
            if readable:
                self._close()
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
            self._conn_uses = 0
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def _close(self):
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._conn_uses = 0

    def wait_for_token(self, token, timeout=10.0):
        """Waits until the server accepts a token made after it started (it
        reloads the tokens when `suara token create` signals a change)."""
        wait_until(lambda: self.get("/api/v1/review", token=token)[0] != 401,
                   timeout=timeout, message="the server to load the new token")

    # WebSocket

    def ws(self, path="/api/v1/live", timeout=10.0, port=None, **kw):
        """A connected websocket.WebSocket (python3-websocket) to path, on
        port (another listener of this server's, e.g. --live-listen)."""
        import websocket  # only WebSocket tests need the package
        return websocket.create_connection(f"ws://{self.host}:{port or self.port}{path}",
                                           timeout=timeout, **kw)

    # process control

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig and asserts that the server exits with status 0 within
        timeout seconds and logged no sanitizer report. Returns the log."""
        self._close()
        if self.proc is None or self.proc.poll() is not None:
            raise AssertionError(f"server is not running (exit status "
                                 f"{self.proc.returncode if self.proc else None})\n"
                                 f"{self.log_tail()}")
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"server did not exit within {timeout}s of signal {sig}\n"
                                 f"{self.log_tail()}") from None
        log = self.log()
        if code != 0:
            raise AssertionError(f"server exited with status {code} after signal {sig}\n"
                                 f"{self.log_tail()}")
        for mark in SANITIZER_MARKS:
            if mark in log:
                raise AssertionError(f"sanitizer report in the server log:\n{self.log_tail(80)}")
        return log

    def kill(self):
        """SIGKILL, as a crash would; waits for the process to be gone."""
        self._close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, lines=40):
        text = self.log().splitlines()
        return "--- server log (last lines) ---\n" + "\n".join(text[-lines:])

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.running:
            return
        if exc_type is None:
            self.stop()
        else:
            self.kill()


def _parse_body(raw, headers):
    ctype = headers.get("Content-Type", "")
    if "json" in ctype and raw:
        return json.loads(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def ws_recv_json(ws, timeout=None):
    """The next text frame of a websocket, parsed as JSON."""
    if timeout is not None:
        ws.settimeout(timeout)
    return json.loads(ws.recv())


# --- forms and tallies -----------------------------------------------------------

def build_form(sid, tps, dpt, contest="gub-62", n_cand=4, total=None, shift=0, dptb_reg=0,
               votes=None, invalid=None):
    """The JSON body of a C1 form (POST /api/v1/forms) for a TPS whose roll has
    `dpt` voters, which passes every check and raises no warning.

    By default 60% of the roll voted (`total` sets the number of voters), 2% of
    the ballots are invalid (`invalid` sets the number), and the valid ones go
    to the contest's n_cand pairs in proportion to 1..n_cand, rotated by `shift`
    so that forms for one TPS differ. `votes` (pair 1 first) sets the votes
    instead: n_cand and shift are then ignored, and the total is the valid plus
    the invalid votes (a `total` given as well must agree). `dptb_reg` adds
    DPTb voters on the register (not compared by any check). The default
    contest is the governor's, gub-62; pass n_cand with another one."""
    if votes is None:
        t = dpt * 6 // 10 if total is None else total
        invalid = t * 2 // 100 if invalid is None else invalid
        valid = t - invalid
        weights = [((k + shift) % n_cand) + 1 for k in range(n_cand)]
        votes = [valid * w // sum(weights) for w in weights]
        votes[shift % n_cand] += valid - sum(votes)
    else:
        votes = list(votes)
        invalid = invalid or 0
        valid = sum(votes)
        t = valid + invalid
        if total is not None and total != t:
            raise ValueError(f"total {total} != {valid} valid + {invalid} invalid")
    m = dpt // 2
    dptb_m = 1 if t > 0 else 0
    vm = (t - dptb_m) // 2
    returned = 2 if dpt - t >= 2 else 0
    return {
        "submission_id": sid, "tps": tps, "contest": contest,
        "registered": {"dpt": {"m": m, "f": dpt - m}, "dpph": {"m": 0, "f": 0},
                       "dptb": {"m": dptb_reg, "f": 0}},
        "voted": {"dpt": {"m": vm, "f": t - dptb_m - vm}, "dpph": {"m": 0, "f": 0},
                  "dptb": {"m": dptb_m, "f": 0}},
        "ballots": {"received": dpt, "returned": returned, "unused": dpt - t - returned,
                    "used": t},
        "disability": {"registered": 3, "voted": min(2, t)},
        "votes": {str(k + 1): v for k, v in enumerate(votes)},
        "valid": valid, "invalid": invalid, "total": t,
    }


def contribution(form):
    """What a counted form adds to every tally node above it, in the flat
    shape flat_tally() gives (numbers that are 0 left out)."""
    reg = form["registered"]
    out = {"tps.counted": 1,
           "registered": sum(reg[r][s] for r in ("dpt", "dpph", "dptb") for s in ("m", "f")),
           "voted": form["total"], "valid": form["valid"], "invalid": form["invalid"]}
    for k, v in form["votes"].items():
        out[f"votes.{k}"] = v
    return {k: v for k, v in out.items() if v}


def flat_tally(node):
    """The numbers of a tally node (GET /api/v1/tally/CONTEST/REGION) as one
    flat dict: tps.total/counted/held/disputed/confirmed, registered, voted,
    valid, invalid and votes.N."""
    out = {f"tps.{k}": v for k, v in node["tps"].items()}
    for k in ("registered", "voted", "valid", "invalid"):
        out[k] = node[k]
    for k, v in node["votes"].items():
        out[f"votes.{k}"] = v
    return out


def sql_recount(db, contest):
    """The tallies of a contest recounted in SQL from the forms table of db (a
    Database): region code -> the numbers flat_tally() gives, except
    tps.total, for every region (TPS included) that has any form; a number may
    be missing or 0 where the server has 0, so compare the non-zero ones.
    Counted forms give the sums; held and disputed TPS, counted forms that
    a confirmation confirms, and counted forms with a warning (flagged) give
    the counts."""
    n_cand = int(db.value(f"SELECT count(*) FROM candidates WHERE contest = '{contest}'"))
    lengths = "(VALUES (2), (5), (8), (13), (17)) AS l(n)"
    votes = ", ".join(f"sum(votes[{k}])" for k in range(1, n_cand + 1))
    out = {}

    def put(region, key, value):
        out.setdefault(region, {})[key] = int(value)

    for row in db.rows(
            f"SELECT left(tps, n), count(*), sum(reg_dpt_m + reg_dpt_f + reg_dpph_m + reg_dpph_f"
            f" + reg_dptb_m + reg_dptb_f), sum(total), sum(valid), sum(invalid), {votes}"
            f" FROM forms, {lengths} WHERE contest = '{contest}' AND status = 'counted'"
            " GROUP BY 1"):
        region, counted, registered, voted, valid, invalid, *per = row
        for key, value in (("tps.counted", counted), ("registered", registered),
                           ("voted", voted), ("valid", valid), ("invalid", invalid)):
            put(region, key, value)
        for k, v in enumerate(per, 1):
            put(region, f"votes.{k}", v)
    for status in ("held", "disputed"):
        for region, n in db.rows(
                f"SELECT left(tps, n), count(DISTINCT tps) FROM forms, {lengths} "
                f"WHERE contest = '{contest}' AND status = '{status}' GROUP BY 1"):
            put(region, f"tps.{status}", n)
    for region, n in db.rows(
            f"SELECT left(c.tps, n), count(DISTINCT c.tps) FROM forms c "
            f"JOIN forms k ON k.confirms = c.id AND k.status = 'confirmation', {lengths} "
            f"WHERE c.contest = '{contest}' AND c.status = 'counted' GROUP BY 1"):
        put(region, "tps.confirmed", n)
    for region, n in db.rows(
            f"SELECT left(tps, n), count(DISTINCT tps) FROM forms, {lengths} "
            f"WHERE contest = '{contest}' AND status = 'counted' AND checks && "
            "ARRAY['invalid_share', 'zero_total', 'cross_contest_voters'] GROUP BY 1"):
        put(region, "tps.flagged", n)
    return out


# --- test cases ----------------------------------------------------------------

_module_dbs = {}


def module_database(module, seed=True):
    """The database shared by the test classes of one module (created on
    first use, migrated, and seeded unless seed=False)."""
    key = (module, seed)
    if key not in _module_dbs:
        label = module.rsplit(".", 1)[-1].removeprefix("test_") + ("" if seed else "_empty")
        _module_dbs[key] = Database(label, migrate=True, seed=seed)
    return _module_dbs[key]


class SuaraTestCase(unittest.TestCase):
    """unittest.TestCase with the module's database in cls.db and helpers."""

    seed = True  # False: the database is migrated but empty

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        test_pg()  # fails loudly, never skips
        cls.db = module_database(cls.__module__, seed=cls.seed)

    def psql(self, sql):
        return self.db.psql(sql)

    def rows(self, sql):
        return self.db.rows(sql)

    def value(self, sql):
        return self.db.value(sql)

    def make_token(self, role, scope, name="", server=None):
        """A new token; with a running server, once that server knows it."""
        token = self.db.make_token(role, scope, name)
        if server is not None:
            server.wait_for_token(token)
        return token

    def fresh_tps(self, n, prefix="62", same_desa=False):
        """n TPS (code, dpt) under prefix with no form in any contest yet;
        same_desa=True takes them all from one desa."""
        free = ("NOT EXISTS (SELECT 1 FROM forms f WHERE f.tps = t.code)")
        if same_desa:
            desa = self.value(
                f"SELECT desa FROM tps t WHERE code LIKE '{prefix}.%' AND {free} "
                f"GROUP BY desa HAVING count(*) >= {n} ORDER BY desa LIMIT 1")
            where = f"desa = '{desa}'"
        else:
            where = f"code LIKE '{prefix}.%'"
        rows = self.rows(f"SELECT code, dpt FROM tps t WHERE {where} AND {free} "
                         f"ORDER BY code LIMIT {n}")
        self.assertEqual(len(rows), n)
        return [(code, int(dpt)) for code, dpt in rows]

    def lock_table(self, table):
        """Takes an ACCESS EXCLUSIVE lock on table in a psql session of this
        module's database and holds it; returns a function that rolls the
        session back (releasing the lock) and waits for psql to end. A session
        still open at the end of the test is killed."""
        locker = subprocess.Popen(
            [psql_binary(), "-X", "-A", "-t", "-q", "-d", self.db.conninfo],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: locker.poll() is None and locker.kill())
        locker.stdin.write(f"BEGIN;\nLOCK TABLE {table} IN ACCESS EXCLUSIVE MODE;\n"
                           "SELECT 'locked';\n")
        locker.stdin.flush()
        self.assertEqual(locker.stdout.readline().strip(), "locked")
        return lambda: locker.communicate("ROLLBACK;\n", timeout=30)

    def suara(self, *args, **kw):
        return suara(*args, **kw)

    def start_server(self, *args, db=None, **kw):
        """Starts `suara serve ARGS` on this module's database (or db). At the
        end of the test it is stopped with SIGTERM, asserting a clean exit,
        unless the test stopped or killed it itself."""
        server = Server(db or self.db, *args, **kw)
        self.addCleanup(self._stop_if_running, server)
        return server

    @staticmethod
    def _stop_if_running(server):
        if server.running:
            server.stop()


class ServedTestCase(SuaraTestCase):
    """SuaraTestCase with one ready server on the module's database in
    cls.server, shared by the class's tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(cls.db, ready=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()


def main():
    """unittest.main() for a test module, after checking the environment."""
    try:
        test_pg()
    except SetupError as e:
        print(f"harness: {e}", file=sys.stderr)
        sys.exit(1)
    unittest.main(verbosity=2)
