"""The live feed, WebSocket GET /api/v1/live, against a real server and PostgreSQL.

Clients are python3-websocket (websocket-client) where an ordinary client will do, and
RawWS below (a small RFC 6455 client on a plain socket) where the test needs control that
the library does not give: a reader that stops reading, a client that never answers pings,
and a thousand connections driven by one selector.

Every test starts its servers on its own freshly seeded database, so tallies start at zero
and one test's forms never show in another's numbers. Every test runs in a few seconds
except IdleTest, which has to wait out the shortest idle timeout (5 s).
"""

import base64
import csv
import hashlib
import http.client
import json
import os
import random
import resource
import select
import selectors
import socket
import struct
import threading
import time
import uuid

import harness
import websocket

LIVE = "/api/v1/live"

# --- file descriptors ------------------------------------------------------------
# The many-subscribers test holds over a thousand sockets here and the server holds as
# many; the server inherits this process's limits through the harness's Popen, so the
# limit is raised before any server starts.
WANT_FDS = 4096


def raise_nofile(want=WANT_FDS):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


NOFILE = raise_nofile()

# --- seed data -------------------------------------------------------------------


def _load_seed():
    tps = {}
    with open(os.path.join(harness.SEED_DIR, "kalteng_tps.csv"), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            tps[row["code"]] = int(row["dpt"])
    with open(os.path.join(harness.SEED_DIR, "kalteng_contests.json"), encoding="utf-8") as f:
        contests = {c["id"]: sorted(k["number"] for k in c["candidates"])
                    for c in json.load(f)["contests"]}
    return tps, contests


TPS_DPT, CANDIDATES = _load_seed()
ALL_TPS = sorted(TPS_DPT)
KABUPATEN_CODES = sorted({t[:5] for t in ALL_TPS})
KECAMATAN_CODES = sorted({t[:8] for t in ALL_TPS})
DESA_CODES = sorted({t.rsplit(".", 1)[0] for t in ALL_TPS})


def tps_under(region):
    """The TPS codes inside a region code, in order."""
    return [t for t in ALL_TPS if t.startswith(region + ".")]


def spread(codes, n):
    """n codes picked evenly over the whole list (so over many regions)."""
    step = len(codes) / n
    return [codes[int(i * step)] for i in range(n)]


def make_form(tps, contest="gub-62", salt=0):
    """A Model C form for tps that passes every check (so it is counted); salt varies
    turnout and the split of votes, so corrections move the tallies."""
    dpt = TPS_DPT[tps]
    h = int(hashlib.sha256(f"{tps}/{contest}/{salt}".encode()).hexdigest(), 16)
    total = dpt * (55 + h % 40) // 100
    invalid = min(total, h % 3)
    valid = total - invalid
    numbers = CANDIDATES[contest]
    votes, left = {}, valid
    for i, number in enumerate(numbers):
        if i == len(numbers) - 1:
            share = left
        else:
            share = min(left, valid * (1 + (h >> (8 * i)) % 5) // (3 * len(numbers)))
        votes[str(number)] = share
        left -= share
    return {
        "submission_id": str(uuid.uuid4()),
        "tps": tps,
        "contest": contest,
        "registered": {"dpt": {"m": dpt // 2, "f": dpt - dpt // 2},
                       "dpph": {"m": 0, "f": 0}, "dptb": {"m": 0, "f": 0}},
        "voted": {"dpt": {"m": total // 2, "f": total - total // 2},
                  "dpph": {"m": 0, "f": 0}, "dptb": {"m": 0, "f": 0}},
        "ballots": {"received": dpt, "returned": 0, "unused": dpt - total, "used": total},
        "disability": {"registered": 0, "voted": 0},
        "votes": votes,
        "valid": valid,
        "invalid": invalid,
        "total": total,
    }


def post_forms(server, token, forms, threads=6):
    """POSTs forms on `threads` keep-alive connections at once. Returns a list of
    (status, body, monotonic time the answer arrived) in the order of forms."""
    results = [None] * len(forms)
    lock = threading.Lock()
    todo = iter(range(len(forms)))
    errors = []

    def worker():
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        try:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                conn.request("POST", "/api/v1/forms", body=json.dumps(forms[i]).encode(),
                             headers={"Content-Type": "application/json",
                                      "Authorization": f"Bearer {token}"})
                resp = conn.getresponse()
                raw = resp.read()
                results[i] = (resp.status, json.loads(raw), time.monotonic())
        except Exception as e:  # reported by the caller
            errors.append(e)
        finally:
            conn.close()

    pool = [threading.Thread(target=worker) for _ in range(min(threads, len(forms)))]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise AssertionError(f"posting forms failed: {errors[0]!r}")
    return results


def metrics(server):
    status, _, body = server.get("/metrics")
    if status != 200:
        raise AssertionError(f"/metrics answered {status}")
    values = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def totals(node):
    """A tally node or live message without its type and children: the node's own totals."""
    return {k: v for k, v in node.items() if k not in ("type", "children")}


def without_type(message):
    return {k: v for k, v in message.items() if k != "type"}


def topic_of(message):
    return (message.get("contest"), message.get("region"))


# --- clients ---------------------------------------------------------------------


def feed_port(server):
    """Where the tests' viewers read the feed: the port of --live-listen when the
    case serves the feed from the live thread, else the server's own."""
    return getattr(server, "feed_port", server.port)


class Live:
    """A python3-websocket client with JSON helpers."""

    def __init__(self, server, path=LIVE, **kw):
        self.ws = server.ws(path, port=feed_port(server), **kw)

    def send(self, message):
        self.ws.send(message if isinstance(message, str) else json.dumps(message))

    def subscribe(self, contest, region):
        self.send({"type": "subscribe", "contest": contest, "region": region})

    def unsubscribe(self, contest, region):
        self.send({"type": "unsubscribe", "contest": contest, "region": region})

    def recv(self, timeout=5.0):
        """The next message, or None when nothing came within timeout."""
        self.ws.settimeout(timeout)
        try:
            return json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None

    def expect(self, predicate, timeout=5.0, what="a message"):
        """Receives until predicate(message); returns (that message, the ones before it)."""
        deadline = time.monotonic() + timeout
        before = []
        while True:
            left = deadline - time.monotonic()
            message = self.recv(max(left, 0.001)) if left > 0 else None
            if message is None:
                raise AssertionError(f"no {what} within {timeout}s; got {before!r}"[:3000])
            if predicate(message):
                return message, before
            before.append(message)

    def expect_type(self, type_, timeout=5.0, **fields):
        def match(m):
            return m.get("type") == type_ and all(m.get(k) == v for k, v in fields.items())
        return self.expect(match, timeout, what=f"{type_} {fields}")

    def drain(self, duration):
        """Everything that arrives within duration seconds."""
        deadline = time.monotonic() + duration
        got = []
        while (left := deadline - time.monotonic()) > 0:
            message = self.recv(left)
            if message is not None:
                got.append(message)
        return got

    def close(self):
        self.ws.close()


class RawWS:
    """A minimal RFC 6455 client on a plain socket. Frames are parsed from whatever
    bytes pump() reads, so the caller decides when (and whether) to read. Pings are
    answered only when answer_pings is true."""

    def __init__(self, host, port, path=LIVE, small=False, answer_pings=True, timeout=10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if small:
            # Before connect: a 4 KiB window, and a small MSS, which keeps the server's
            # send buffer (the kernel sizes it from the MSS, 64 KiB on loopback) to some
            # hundred KiB instead of megabytes. A client that stops reading then stalls
            # the server's socket soon.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.answer_pings = answer_pings
        self.buf = b""
        self.fragments = []
        self.closed = False
        self.pings = 0
        self.bytes = 0
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.handshake_done = False

    def finish_handshake(self):
        """Reads the 101 answer (blocking, with the socket's timeout)."""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"connection closed during the handshake: {self.buf!r}")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise AssertionError(f"handshake refused: {lines[0]}")
        accept = base64.b64encode(hashlib.sha1(
            (self.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
                   for l in lines[1:] if ":" in l}
        if headers.get("sec-websocket-accept") != accept:
            raise AssertionError(f"bad Sec-WebSocket-Accept in {lines}")
        self.handshake_done = True
        return self

    def fileno(self):
        return self.sock.fileno()

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return head + mask + masked

    def send_text(self, text):
        self.sock.sendall(self._frame(0x1, text.encode()))

    def ping(self):
        self.sock.sendall(self._frame(0x9, b"are you there"))

    def send_json(self, message):
        self.send_text(json.dumps(message))

    def subscribe(self, contest, region):
        self.send_json({"type": "subscribe", "contest": contest, "region": region})

    def pump(self, wait=0.0):
        """Reads what the socket has (waiting up to `wait` seconds for the first bytes)
        and returns the complete text messages, parsed. Sets closed on EOF or a close
        frame."""
        if self.closed:
            return []
        self.sock.settimeout(wait or None)
        if not wait:
            self.sock.setblocking(False)
        try:
            while True:
                try:
                    chunk = self.sock.recv(1 << 20)
                except (BlockingIOError, socket.timeout):
                    break
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    self.closed = True
                    break
                self.bytes += len(chunk)
                self.buf += chunk
                self.sock.setblocking(False)  # only the first read waits
        finally:
            self.sock.settimeout(10.0)
        return self._parse()

    def _parse(self):
        out = []
        while True:
            if len(self.buf) < 2:
                return out
            b0, b1 = self.buf[0], self.buf[1]
            n, pos = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    return out
                n, pos = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    return out
                n, pos = struct.unpack("!Q", self.buf[2:10])[0], 10
            if b1 & 0x80:
                raise AssertionError("the server masked a frame")
            if len(self.buf) < pos + n:
                return out
            payload, self.buf = self.buf[pos:pos + n], self.buf[pos + n:]
            opcode = b0 & 0x0F
            if opcode == 0x9:  # ping
                self.pings += 1
                if self.answer_pings:
                    self.sock.sendall(self._frame(0xA, payload))
            elif opcode == 0x8:
                self.closed = True
                return out
            elif opcode in (0x0, 0x1):
                self.fragments.append(payload)
                if b0 & 0x80:
                    out.append(json.loads(b"".join(self.fragments)))
                    self.fragments = []

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# --- the tests ---------------------------------------------------------------------


class LiveCase(harness.SuaraTestCase):
    """Each test gets a fresh seeded database and a witness token for the province."""

    seed = False  # the module's shared database is not used
    # True: the server also serves the feed from its live thread (--live-listen)
    # and the viewers read it there; forms still go to the server's own port.
    live_thread = False

    def setUp(self):
        self.fresh = harness.Database("live", migrate=True, seed=True)
        self.addCleanup(self.fresh.drop)
        self.witness = self.fresh.make_token("witness", "62", "live-test")

    def serve(self, *args, env=None):
        port = harness.free_port() if self.live_thread else None
        thread = ("--live-listen", f"127.0.0.1:{port}") if port else ()
        server = self.start_server("--rate-per-minute", "0", *thread, *args, db=self.fresh,
                                   ready=True, env=env)
        if port:
            server.feed_port = port
        return server

    def count(self, server, forms, threads=6):
        results = post_forms(server, self.witness, forms, threads)
        for status, body, _ in results:
            self.assertEqual(status, 201, body)
            self.assertEqual(body["status"], "counted", body)
        return results

    def tally(self, server, contest, region):
        status, _, body = server.get(f"/api/v1/tally/{contest}/{region}")
        self.assertEqual(status, 200, body)
        return body

    def open_live(self, server, **kw):
        client = Live(server, **kw)
        self.addCleanup(client.close)
        return client


class ProtocolTest(LiveCase):
    """Snapshots, several subscriptions, unsubscribe, errors, other paths."""

    TOPICS = [("gub-62", "62"), ("gub-62", "62.01"), ("gub-62", "62.01.01.1011"),
              ("bup-62.01", "62.01.01"), ("gub-62", "62.01.01.1011.001")]

    def test_snapshots_equal_http_tallies(self):
        server = self.serve()
        self.count(server, [make_form(t) for t in tps_under("62.01.01")[:12]] +
                   [make_form(t, "bup-62.01") for t in tps_under("62.01.01")[:5]] +
                   [make_form(t) for t in spread(ALL_TPS, 20)])
        live = self.open_live(server)
        for contest, region in self.TOPICS:
            live.subscribe(contest, region)
        snapshots = {}
        while len(snapshots) < len(self.TOPICS):
            message, before = live.expect_type("snapshot")
            self.assertEqual(before, [])
            self.assertNotIn(topic_of(message), snapshots, "two snapshots for one topic")
            snapshots[topic_of(message)] = message
        self.assertEqual(set(snapshots), set(self.TOPICS))
        for (contest, region), snapshot in snapshots.items():
            self.assertEqual(without_type(snapshot), self.tally(server, contest, region))
        self.assertGreater(snapshots[("gub-62", "62")]["tps"]["counted"], 30)
        self.assertEqual(snapshots[("bup-62.01", "62.01.01")]["tps"]["counted"], 5)
        self.assertEqual(len(snapshots[("gub-62", "62")]["children"]), 14)
        self.assertEqual(live.drain(0.6), [], "nothing changed, yet the server sent more")
        m = metrics(server)
        self.assertEqual(m["suara_ws_connections"], 1)
        self.assertEqual(m["suara_ws_subscriptions"], len(self.TOPICS))

    def test_unsubscribe_stops_updates(self):
        server = self.serve("--tick-ms", "50")
        live = self.open_live(server)
        live.subscribe("gub-62", "62")
        live.subscribe("gub-62", "62.01")
        for _ in range(2):
            live.expect_type("snapshot")
        live.unsubscribe("gub-62", "62")
        # A form under 62.01 moves both nodes; only 62.01 may answer.
        self.count(server, [make_form("62.01.01.1011.001")])
        update, before = live.expect_type("update", region="62.01")
        self.assertEqual(before, [])
        self.assertEqual(totals(update), totals(self.tally(server, "gub-62", "62.01")))
        self.assertEqual(live.drain(0.4), [])
        # Unsubscribing again, or from something never subscribed, is an error.
        live.unsubscribe("gub-62", "62")
        error, _ = live.expect_type("error")
        self.assertEqual(error["code"], "not_subscribed")
        live.unsubscribe("gub-62", "62.01")
        self.count(server, [make_form("62.01.01.1011.002")])
        self.assertEqual(live.drain(0.4), [], "updates after unsubscribing")
        self.assertEqual(metrics(server)["suara_ws_subscriptions"], 0)
        self.assertEqual(metrics(server)["suara_ws_topics"], 0, "topics go with their last subscriber")
        # Subscribing again starts over with a snapshot.
        live.subscribe("gub-62", "62")
        snapshot, _ = live.expect_type("snapshot")
        self.assertEqual(without_type(snapshot), self.tally(server, "gub-62", "62"))

    def test_topics_live_only_while_someone_subscribes(self):
        server = self.serve("--tick-ms", "50")
        one, two = self.open_live(server), self.open_live(server)
        for live in (one, two):
            live.subscribe("gub-62", "62.02")
            live.expect_type("snapshot")
        one.subscribe("gub-62", "62.02.01")
        one.expect_type("snapshot")
        self.assertEqual(metrics(server)["suara_ws_topics"], 2)
        two.unsubscribe("gub-62", "62.03")  # never subscribed: an error, and no topic made
        self.assertEqual(two.expect_type("error")[0]["code"], "not_subscribed")
        self.assertEqual(metrics(server)["suara_ws_topics"], 2)
        one.ws.close()
        harness.wait_until(lambda: metrics(server)["suara_ws_connections"] == 1, message="one to close")
        self.assertEqual(metrics(server)["suara_ws_topics"], 1, "62.02 still has a subscriber")
        # The remaining subscriber still gets its updates.
        self.count(server, [make_form("62.02.01.1009.001")])
        update, _ = two.expect_type("update", region="62.02")
        self.assertEqual(totals(update), totals(self.tally(server, "gub-62", "62.02")))
        two.unsubscribe("gub-62", "62.02")
        harness.wait_until(lambda: metrics(server)["suara_ws_topics"] == 0,
                           message="the last topic to go")

    def test_bad_messages_get_errors_and_the_connection_stays(self):
        server = self.serve("--max-subscriptions", "3")
        live = self.open_live(server)
        live.subscribe("gub-62", "62")
        first, _ = live.expect_type("snapshot")

        def still_works():
            # Subscribing again to the same topic asks for a fresh snapshot.
            live.subscribe("gub-62", "62")
            snapshot, before = live.expect_type("snapshot", region="62")
            self.assertEqual(before, [])
            self.assertEqual(without_type(snapshot), without_type(first))

        cases = [
            ("malformed JSON", '{"type": "subscribe", "contest": ', "malformed_json"),
            ("not JSON at all", "hello", "malformed_json"),
            ("empty", "", "malformed_json"),
            ("an array", '["subscribe"]', "bad_message"),
            ("no type", {"contest": "gub-62", "region": "62"}, "bad_message"),
            ("type not a string", {"type": 1, "contest": "gub-62", "region": "62"}, "bad_message"),
            ("unknown type", {"type": "subscribe_all", "contest": "gub-62", "region": "62"},
             "unknown_type"),
            ("region not a string", {"type": "subscribe", "contest": "gub-62", "region": 62},
             "bad_message"),
            ("no region", {"type": "subscribe", "contest": "gub-62"}, "bad_message"),
            ("unknown contest", {"type": "subscribe", "contest": "gub-99", "region": "62"},
             "unknown_contest"),
            ("unknown region", {"type": "subscribe", "contest": "gub-62", "region": "62.99"},
             "unknown_region"),
            ("not a region code", {"type": "subscribe", "contest": "gub-62", "region": "x"},
             "unknown_region"),
            ("region above the contest", {"type": "subscribe", "contest": "bup-62.01",
                                          "region": "62"}, "unknown_region"),
            ("region beside the contest", {"type": "subscribe", "contest": "bup-62.01",
                                           "region": "62.02.01"}, "unknown_region"),
        ]
        for what, message, code in cases:
            with self.subTest(what):
                live.send(message)
                error, before = live.expect_type("error")
                self.assertEqual(before, [])
                self.assertEqual(error["code"], code, error)
                self.assertIsInstance(error.get("message"), str)
                still_works()
        # The HTTP API agrees that those regions lie outside the contest.
        self.assertEqual(server.get("/api/v1/tally/bup-62.01/62")[0], 404)
        self.assertEqual(server.get("/api/v1/tally/bup-62.01/62.02.01")[0], 404)

        # --max-subscriptions 3: a fourth is refused, the others keep working.
        live.subscribe("gub-62", "62.01")
        live.subscribe("bup-62.01", "62.01")
        for _ in range(2):
            live.expect_type("snapshot")
        live.subscribe("gub-62", "62.02")
        error, before = live.expect_type("error")
        self.assertEqual((before, error["code"]), ([], "too_many_subscriptions"))
        still_works()
        self.assertEqual(metrics(server)["suara_ws_subscriptions"], 3)
        self.assertEqual(metrics(server)["suara_ws_topics"], 3, "a refused subscription leaves no topic")
        live.unsubscribe("bup-62.01", "62.01")
        live.subscribe("gub-62", "62.02")
        snapshot, before = live.expect_type("snapshot")
        self.assertEqual((before, topic_of(snapshot)), ([], ("gub-62", "62.02")))

        # Message size: 4096 bytes are fine, one more is message_too_large.
        base = json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62"})
        exact = base[:-1] + " " * (4096 - len(base)) + "}"
        self.assertEqual(len(exact.encode()), 4096)
        live.send(exact)
        snapshot, before = live.expect_type("snapshot")
        self.assertEqual((before, topic_of(snapshot)), ([], ("gub-62", "62")))
        for size in (4097, 100_000):
            with self.subTest(size=size):
                live.send(base[:-1] + " " * (size - len(base)) + "}")
                error, before = live.expect_type("error")
                self.assertEqual((before, error["code"]), ([], "message_too_large"))
                still_works()
        # ... also when the large message comes in fragments of small frames.
        big = (base[:-1] + " " * (6000 - len(base)) + "}").encode()
        live.ws.send_frame(websocket.ABNF.create_frame(big[:2000], websocket.ABNF.OPCODE_TEXT, 0))
        live.ws.send_frame(websocket.ABNF.create_frame(big[2000:4000],
                                                       websocket.ABNF.OPCODE_CONT, 0))
        live.ws.send_frame(websocket.ABNF.create_frame(big[4000:], websocket.ABNF.OPCODE_CONT, 1))
        error, before = live.expect_type("error")
        self.assertEqual((before, error["code"]), ([], "message_too_large"))
        still_works()
        # ... and a small message in fragments is put together.
        small = json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62.02"}).encode()
        live.ws.send_frame(websocket.ABNF.create_frame(small[:10], websocket.ABNF.OPCODE_TEXT, 0))
        live.ws.send_frame(websocket.ABNF.create_frame(small[10:], websocket.ABNF.OPCODE_CONT, 1))
        snapshot, before = live.expect_type("snapshot")
        self.assertEqual((before, topic_of(snapshot)), ([], ("gub-62", "62.02")))
        self.assertEqual(metrics(server)["suara_ws_connections"], 1)

    def test_other_paths_refuse_upgrades_and_plain_get_is_405(self):
        server = self.serve()
        for path in ("/api/v1/live/", "/api/v1/livex", "/api/v1/tally/gub-62/62", "/live", "/",
                     "/api/v1/contests"):
            with self.subTest(path=path):
                client = RawWS(server.host, feed_port(server), path, timeout=5)
                try:
                    with self.assertRaises(AssertionError) as refused:
                        client.finish_handshake()
                finally:
                    client.close()
                # Refused either with an HTTP error status or by closing the connection.
                reason = str(refused.exception)
                self.assertRegex(reason, r"^(handshake refused: HTTP/1\.[01] 4\d\d |"
                                         r"connection closed during the handshake)", reason)
                with self.assertRaises((websocket.WebSocketBadStatusException,
                                        websocket.WebSocketConnectionClosedException)):
                    Live(server, path).close()
        status, headers, body = server.get(LIVE)
        self.assertEqual(status, 405, body)
        self.assertIn("application/json", headers["Content-Type"])
        self.assertEqual(body["error"]["code"], "method_not_allowed")
        self.assertIn("GET", headers.get("Allow", ""))
        status, _, body = server.post(LIVE, {"type": "subscribe"})
        self.assertEqual(status, 405, body)
        # The refusals left nothing behind, and the real path still upgrades.
        self.assertEqual(metrics(server)["suara_ws_connections"], 0)
        live = self.open_live(server)
        live.subscribe("gub-62", "62")
        live.expect_type("snapshot")
        self.assertEqual(metrics(server)["suara_ws_connections"], 1)



class Subscription:
    """What one subscription of one client received, checked as it arrives: a snapshot
    first, then updates; seq grows with every message; the update's children changed
    since the previous message. `children` is the client's picture of the node's
    children (the snapshot's, replaced child by child by the updates)."""

    def __init__(self, test, topic, strict=True):
        self.test = test
        self.topic = topic
        self.strict = strict  # check that update children all changed
        self.messages = []  # (monotonic time of arrival, message)
        self.node = None
        self.children = {}

    @property
    def seq(self):
        return self.node["seq"] if self.node else -1

    def add(self, message, when=None):
        t = self.test
        t.assertEqual(topic_of(message), self.topic)
        kind = message["type"]
        t.assertIn(kind, ("snapshot", "update"), message)
        if not self.messages:
            t.assertEqual(kind, "snapshot", "the first message of a subscription")
        t.assertGreater(message["seq"], self.seq if kind == "update" else self.seq - 1,
                        f"seq must grow: {self.topic} {kind} after seq {self.seq}")
        if kind == "snapshot":
            self.children = {c["region"]: c for c in message["children"]}
        else:
            for child in message["children"]:
                t.assertIn(child["region"], self.children, "an update child that is no child")
                if self.strict:
                    t.assertGreater(child["seq"], self.seq,
                                    f"{self.topic} update seq {message['seq']} carries child "
                                    f"{child['region']} unchanged since seq {self.seq}")
                self.children[child["region"]] = child
        self.node = message
        self.messages.append((when or time.monotonic(), message))

    def updates(self, since=0.0):
        return [(w, m) for w, m in self.messages if m["type"] == "update" and w >= since]

    def assert_matches(self, http_node):
        """The client's picture equals the HTTP tally node (totals and every child)."""
        self.test.assertEqual(totals(self.node), totals(http_node), self.topic)
        self.test.assertEqual(self.children, {c["region"]: c for c in http_node["children"]},
                              self.topic)


class Feed:
    """One Live client's subscriptions, keyed by topic."""

    def __init__(self, test, live, topics):
        self.test = test
        self.live = live
        self.subs = {topic: Subscription(test, topic) for topic in topics}
        for contest, region in topics:
            live.subscribe(contest, region)

    def receive(self, timeout):
        message = self.live.recv(timeout)
        if message is not None:
            self.test.assertIn(topic_of(message), self.subs, message)
            self.subs[topic_of(message)].add(message)
        return message

    def until(self, seqs, timeout=5.0):
        """Receives until every topic in seqs has a message with at least that seq."""
        deadline = time.monotonic() + timeout
        while any(self.subs[topic].seq < seq for topic, seq in seqs.items()):
            left = deadline - time.monotonic()
            if left <= 0 or self.receive(left) is None:
                state = {topic: (self.subs[topic].seq, seq) for topic, seq in seqs.items()}
                raise AssertionError(f"timed out: (have, want) seq per topic {state}")

    def quiet(self, duration):
        """Asserts that nothing arrives within duration seconds."""
        message = self.live.recv(duration)
        self.test.assertIsNone(message, "a message although nothing changed for it")


PROVINCE = ("gub-62", "62")
KABUPATEN = ("gub-62", "62.01")
DESA = ("gub-62", "62.01.01.1011")


class UpdateTest(LiveCase):
    """Counting forms moves the subscribers of every level, once per tick."""

    TOPICS = [PROVINCE, KABUPATEN, DESA]

    def open_feeds(self, server):
        """One connection per topic, and one more with all of them."""
        feeds = [Feed(self, self.open_live(server), [topic]) for topic in self.TOPICS]
        feeds.append(Feed(self, self.open_live(server), self.TOPICS))
        for feed in feeds:
            feed.until({topic: 0 for topic in feed.subs})
        return feeds

    def quiet(self, feeds, duration):
        """Asserts that no feed receives anything for duration seconds."""
        time.sleep(duration)  # waiting for nothing to happen
        for feed in feeds:
            feed.quiet(0.01)

    def step(self, server, feeds, forms, changed):
        """Counts forms; every subscriber catches up with HTTP, and the children its
        updates carried in this step are exactly `changed` (a set per topic)."""
        before = {id(sub): len(sub.messages) for feed in feeds for sub in feed.subs.values()}
        self.count(server, forms)
        http = {topic: self.tally(server, *topic) for topic in self.TOPICS}
        for feed in feeds:
            moved = {t: http[t]["seq"] for t in feed.subs if changed.get(t)}
            feed.until(moved)
            for topic, sub in feed.subs.items():
                new = sub.messages[before[id(sub)]:]
                if not changed.get(topic):
                    self.assertEqual(new, [], f"{topic} moved although nothing under it changed")
                    continue
                self.assertTrue(all(m["type"] == "update" for _, m in new), new)
                carried = {c["region"] for _, m in new for c in m["children"]}
                self.assertEqual(carried, changed[topic], f"children carried for {topic}")
                self.assertEqual(sub.seq, http[topic]["seq"])
                sub.assert_matches(http[topic])
        return http

    def test_every_level_gets_updates_with_changed_children_only(self):
        tick = 0.1
        server = self.serve("--tick-ms", str(int(tick * 1000)))
        feeds = self.open_feeds(server)
        for feed in feeds:
            for topic, sub in feed.subs.items():
                self.assertEqual(sub.node["seq"], 0)
                sub.assert_matches(self.tally(server, *topic))
        # The very first form moves nodes that have never moved (seq 0).
        self.step(server, feeds, [make_form("62.01.01.1011.001")],
                  {PROVINCE: {"62.01"}, KABUPATEN: {"62.01.01"}, DESA: {"62.01.01.1011.001"}})
        self.step(server, feeds, [make_form("62.01.01.1011.002"), make_form("62.01.02.1002.001")],
                  {PROVINCE: {"62.01"}, KABUPATEN: {"62.01.01", "62.01.02"},
                   DESA: {"62.01.01.1011.002"}})
        # Elsewhere in the province: the kabupaten and the desa hear nothing.
        self.step(server, feeds, [make_form("62.02.01.1009.001")], {PROVINCE: {"62.02"}})
        self.quiet(feeds, 3 * tick)
        # A correction (same token, same TPS, new numbers) moves every level again.
        self.step(server, feeds, [make_form("62.01.01.1011.001", salt=1)],
                  {PROVINCE: {"62.01"}, KABUPATEN: {"62.01.01"}, DESA: {"62.01.01.1011.001"}})
        # A form for another contest on the same TPS moves no gub-62 node.
        self.count(server, [make_form("62.01.01.1011.003", "bup-62.01")])
        self.quiet(feeds, 3 * tick)

    def test_a_burst_gives_at_most_one_update_per_tick(self):
        tick = 0.2
        server = self.serve("--tick-ms", str(int(tick * 1000)))
        feeds = self.open_feeds(server)
        # 9 TPS of the desa, 21 more of its kabupaten, 20 elsewhere; the desa's spread
        # over the burst.
        desa = tps_under(DESA[1])
        kabupaten = [t for t in spread(tps_under("62.01"), 30) if t not in desa][:21]
        elsewhere = [t for t in spread(ALL_TPS, 60) if not t.startswith("62.01.")][:20]
        others = kabupaten + elsewhere
        codes = []
        for i in range(50):
            codes.append(desa.pop(0) if i % 5 == 0 and desa else others.pop(0))
        self.assertEqual((len(set(codes)), desa, others), (50, [], []))
        forms = [make_form(t) for t in codes]
        # Ten forms every 80 ms: the burst spans a few ticks, so several updates are due.
        def post():
            for i in range(0, 50, 10):
                self.count(server, forms[i:i + 10], threads=5)
                time.sleep(0.08)

        start = time.monotonic()
        poster = threading.Thread(target=post)
        poster.start()
        try:
            by_sock = {feed.live.ws.sock: feed for feed in feeds}
            while time.monotonic() < start + 1.0:
                ready, _, _ = select.select(list(by_sock), [], [], 0.05)
                for sock in ready:
                    by_sock[sock].receive(1.0)
        finally:
            poster.join()
        http = {topic: self.tally(server, *topic) for topic in self.TOPICS}
        self.assertEqual(http[PROVINCE]["tps"]["counted"], 50)
        self.assertEqual(http[DESA]["tps"]["counted"], 9)
        for feed in feeds:
            feed.until({t: http[t]["seq"] for t in feed.subs}, timeout=3.0)
            for topic, sub in feed.subs.items():
                sub.assert_matches(http[topic])
                times = [w for w, _ in sub.updates()]
                self.assertGreaterEqual(len(times), 1)
                # One per tick at most: n updates need n-1 ticks between the first and
                # the last (one tick allowed for the client's own scheduling).
                span = times[-1] - times[0]
                self.assertLessEqual((len(times) - 1) * tick, span + tick,
                                     f"{topic}: {len(times)} updates in {span:.3f}s")
                self.assertLessEqual(len(times), 8, f"{topic}: {len(times)} updates for 50 forms")

    def test_a_prompt_reader_with_many_subscriptions_gets_updates_not_resyncs(self):
        # Default --ws-queue-max and --tick-ms; one client with 15 subscriptions that reads
        # at once. Rounds of one form per kabupaten: each round moves all 15 nodes, most
        # often within one tick.
        server = self.serve()
        by_kabupaten = [tps_under(k) for k in KABUPATEN_CODES]
        # Every node has moved once before anyone subscribes.
        self.count(server, [make_form(codes[0]) for codes in by_kabupaten])
        topics = [PROVINCE] + [("gub-62", k) for k in KABUPATEN_CODES]
        feed = Feed(self, self.open_live(server), topics)
        feed.until({topic: 0 for topic in topics})
        for n in range(1, 6):
            self.count(server, [make_form(codes[n]) for codes in by_kabupaten], threads=14)
            http = {topic: self.tally(server, *topic) for topic in topics}
            feed.until({t: http[t]["seq"] for t in topics})
        for topic, sub in feed.subs.items():
            kinds = [m["type"] for _, m in sub.messages]
            self.assertEqual(kinds.count("snapshot"), 1, f"{topic} was resynced: {kinds}")
            sub.assert_matches(http[topic])
        self.assertEqual(metrics(server)["suara_ws_updates_dropped_total"], 0)



class Reader(threading.Thread):
    """Reads a RawWS in the background, feeding every message to Subscriptions and
    noting its arrival time; an assertion that fails in here is raised by stop()."""

    def __init__(self, test, client, topics, strict=True):
        super().__init__(daemon=True)
        self.client = client
        self.subs = {topic: Subscription(test, topic, strict) for topic in topics}
        self.halt = threading.Event()
        self.error = None
        self.lock = threading.Lock()

    def run(self):
        try:
            while not self.halt.is_set() and not self.client.closed:
                ready, _, _ = select.select([self.client], [], [], 0.02)
                if not ready:
                    continue
                now = time.monotonic()
                for message in self.client.pump():
                    with self.lock:
                        self.subs[topic_of(message)].add(message, now)
        except BaseException as e:  # handed to the test thread
            self.error = e

    def seqs(self):
        if self.error:
            raise self.error
        with self.lock:
            return {topic: sub.seq for topic, sub in self.subs.items()}

    def stop(self):
        self.halt.set()
        self.join(10)
        if self.error:
            raise self.error


class SlowReaderTest(LiveCase):
    # How much more the server's RSS may grow while a viewer is stalled than it grew for
    # as many forms while every viewer read.
    RSS_SLACK_KIB = 1024

    def burst(self, server, reader, codes):
        """Counts a form for each TPS in codes while sampling the server's RSS; waits
        for the reader's province update. Returns (results, RSS growth in KiB)."""
        pid = server.proc.pid
        baseline = rss_kib(pid)
        peak = [baseline]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], rss_kib(pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            results = self.count(server, [make_form(t) for t in codes], threads=6)
            final = self.tally(server, *PROVINCE)["seq"]
            try:
                harness.wait_until(lambda: reader.seqs()[PROVINCE] >= final, 5, 0.01)
            except AssertionError:
                snapshots = sum(m["type"] == "snapshot"
                                for _, m in reader.subs[PROVINCE].messages)
                raise AssertionError(
                    f"5 s after the last form (seq {final}) the normal client's province "
                    f"subscription is at seq {reader.seqs()[PROVINCE]}; it got {snapshots} "
                    f"snapshots") from None
        finally:
            sampling.set()
            sampler.join()
        peak[0] = max(peak[0], rss_kib(pid))
        return results, peak[0] - baseline

    def test_a_stalled_reader_loses_its_backlog_not_others_time(self):
        tick = 0.05
        # Every node from the province down to the desa: each form moves four of them,
        # so the stalled client's would-be backlog is megabytes.
        topics = [PROVINCE] + [("gub-62", k) for k in KABUPATEN_CODES + KECAMATAN_CODES +
                               DESA_CODES]
        # Under AddressSanitizer freed memory waits in a quarantine (256 MiB by default)
        # before reuse, which RSS would show as growth: keep it small for this server.
        asan = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "quarantine_size_mb=1"]))
        server = self.serve("--ws-queue-max", "4", "--tick-ms", str(int(tick * 1000)),
                            "--max-subscriptions", str(len(topics)), env={"ASAN_OPTIONS": asan})
        wait = harness.wait_until
        codes = spread(ALL_TPS, 3400)
        random.Random(62).shuffle(codes)  # every tick moves children of every node
        warm_up, control, stalled = codes[:400], codes[400:1900], codes[1900:]

        # The normal client, read by a thread, on every topic.
        normal = RawWS(server.host, feed_port(server)).finish_handshake()
        self.addCleanup(normal.close)
        # (Whether updates carry only changed children is UpdateTest's business.)
        reader = Reader(self, normal, topics, strict=False)
        reader.start()
        self.addCleanup(reader.stop)
        for contest, region in topics:
            normal.subscribe(contest, region)
        wait(lambda: all(s >= 0 for s in reader.seqs().values()), 10, 0.01, "normal snapshots")
        # Control: how the server's RSS grows for 1500 forms when every viewer reads
        # (after a warm-up, so that first-time allocations are not counted).
        self.burst(server, reader, warm_up)
        control_results, control_growth = self.burst(server, reader, control)

        # The stalled client reads its snapshots, then nothing until told.
        slow = RawWS(server.host, feed_port(server), small=True).finish_handshake()
        self.addCleanup(slow.close)
        slow_subs = {topic: Subscription(self, topic, strict=False) for topic in topics}
        for contest, region in topics:
            slow.subscribe(contest, region)
        deadline = time.monotonic() + 10
        while any(sub.seq < 0 for sub in slow_subs.values()):
            self.assertLess(time.monotonic(), deadline, "snapshots for the slow client")
            select.select([slow], [], [], 0.5)
            for message in slow.pump():
                slow_subs[topic_of(message)].add(message)
        normal_before = normal.bytes
        results, growth = self.burst(server, reader, stalled)
        dropped = metrics(server)["suara_ws_updates_dropped_total"]
        self.assertGreater(dropped, 0, "the stalled client lost nothing")

        # The normal client kept up: each form showed in a province update within two
        # ticks and 200 ms of its acknowledgement, or (on a machine so busy that even
        # the control burst, with no stalled client, was slower) within three times
        # the control's own 99th percentile. A stalled client that held the others
        # back would delay them by its megabytes of backlog: seconds, not this.
        arrivals = [(msg["seq"], w) for w, msg in reader.subs[PROVINCE].messages]

        def delays_of(burst_results):
            return sorted(next(w for seq, w in arrivals if seq >= body["seq"]) - acked
                          for _, body, acked in burst_results)
        control_delays = delays_of(control_results)
        control_p99 = control_delays[len(control_delays) * 99 // 100]
        delays = delays_of(results)
        allowed = max(2 * tick + 0.2, 3 * control_p99)
        late = [round(d, 3) for d in delays if d > allowed]
        self.assertLessEqual(len(late), len(results) // 100,
                             f"{len(late)} of {len(results)} forms later than {allowed:.3f} s "
                             f"for the normal client (control p99 {control_p99:.3f} s; "
                             f"seconds: {late[:5]} ... {late[-5:]})")
        self.assertLess(delays[-1], max(1.0, 3 * control_delays[-1]),
                        "a form reached the normal client a second late")
        # ... and it got updates only, ending equal to HTTP.
        http = {topic: self.tally(server, *topic) for topic in topics}
        wait(lambda: reader.seqs() == {t: http[t]["seq"] for t in topics}, 5, 0.01,
             "the normal client to catch up")
        reader.stop()
        resynced = []
        for topic, sub in reader.subs.items():
            kinds = [msg["type"] for _, msg in sub.messages]
            if kinds.count("snapshot") != 1:
                resynced.append((topic[1], kinds.count("snapshot")))
            sub.assert_matches(http[topic])
        self.assertEqual(resynced[:10], [], f"a client that reads promptly was resynced "
                                            f"(region, snapshots) on {len(resynced)} topics")

        # Memory: what the stalled client would have had queued, had the server kept its
        # backlog, is well over the slack; the server's RSS grew no more than it did for
        # as many forms with no stalled viewer.
        backlog = normal.bytes - normal_before
        self.assertGreater(backlog, 1.5 * self.RSS_SLACK_KIB * 1024)
        self.assertLess(growth, control_growth + self.RSS_SLACK_KIB,
                        f"server RSS grew by {growth} KiB with a stalled viewer (backlog: "
                        f"{backlog} bytes), by {control_growth} KiB without")

        # The stalled client reads again: whatever was buffered, then a fresh snapshot for
        # every subscription that lost an update (one that lost nothing is already
        # current), all equal to HTTP, and then nothing more.
        resumed_at = len(slow_subs[PROVINCE].messages)
        deadline = time.monotonic() + 20
        while any(sub.seq != http[topic]["seq"] for topic, sub in slow_subs.items()):
            self.assertFalse(slow.closed, "the server closed the slow client")
            self.assertLess(time.monotonic(), deadline, "fresh snapshots for the slow client")
            if not select.select([slow], [], [], 0.5)[0]:
                # After seconds of a zero window the server's TCP probes it rarely; any
                # segment from us tells it that the window is open again.
                slow.ping()
                continue
            for message in slow.pump():
                slow_subs[topic_of(message)].add(message)
        for topic, sub in slow_subs.items():
            sub.assert_matches(http[topic])
        # The province changed with every form, so it certainly lost updates: it was
        # resynced with a snapshot, and what followed that snapshot is the updates newer
        # than it, in order (none, when the snapshot was made after the last form; some,
        # when it was queued before the last ticks and they fitted in --ws-queue-max).
        province = [m for _, m in slow_subs[PROVINCE].messages[resumed_at:]]
        kinds = [m["type"] for m in province]
        self.assertIn("snapshot", kinds)
        last_snapshot = len(kinds) - 1 - kinds[::-1].index("snapshot")
        after = province[last_snapshot:]
        self.assertEqual([m["type"] for m in after[1:]], ["update"] * (len(after) - 1))
        seqs = [m["seq"] for m in after]
        self.assertEqual(seqs, sorted(set(seqs)), "updates after the snapshot, each newer")
        self.assertEqual(seqs[-1], http[PROVINCE]["seq"])
        ready, _, _ = select.select([slow], [], [], 4 * tick)
        self.assertEqual(slow.pump() if ready else [], [], "messages after the resync")
        # It lost updates (it did not get the stream late).
        updates = {t: len(sub.updates()) for t, sub in slow_subs.items()}
        self.assertLess(updates[PROVINCE], len(reader.subs[PROVINCE].updates()) / 2)
        self.assertEqual(metrics(server)["suara_ws_updates_dropped_total"], dropped)


class ManySubscribersTest(LiveCase):
    CLIENTS = 1000

    def test_a_thousand_viewers_converge(self):
        self.assertGreaterEqual(NOFILE, self.CLIENTS + 200, "RLIMIT_NOFILE too low for the test")
        tick = 0.1
        server = self.serve("--tick-ms", str(int(tick * 1000)))
        desas = spread(DESA_CODES, 40)
        topics = [PROVINCE] + [("gub-62", k) for k in KABUPATEN_CODES] + \
            [("gub-62", d) for d in desas]
        # Connect in waves: send a hundred handshakes, then read their answers.
        clients = []
        self.addCleanup(lambda: [c.close() for c in clients])
        for start in range(0, self.CLIENTS, 100):
            wave = [RawWS(server.host, feed_port(server)) for _ in range(min(100, self.CLIENTS - start))]
            clients.extend(wave)
            for c in wave:
                c.finish_handshake()
        subs = {}
        for i, c in enumerate(clients):
            topic = topics[i % len(topics)]
            subs[c] = Subscription(self, topic, strict=False)
            c.subscribe(*topic)
        selector = selectors.DefaultSelector()
        self.addCleanup(selector.close)
        for c in clients:
            selector.register(c, selectors.EVENT_READ)

        def pump_until(done, timeout, what):
            deadline = time.monotonic() + timeout
            while not done():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
                for key, _ in selector.select(min(left, 0.1)):
                    c = key.fileobj
                    for message in c.pump():
                        subs[c].add(message)
                    self.assertFalse(c.closed, "the server closed a viewer")

        pump_until(lambda: all(sub.seq >= 0 for sub in subs.values()), 20, "every snapshot")
        m = metrics(server)
        self.assertEqual(m["suara_ws_connections"], self.CLIENTS)
        self.assertEqual(m["suara_ws_subscriptions"], self.CLIENTS)

        # A burst of forms over the whole province, every TPS of the watched desa among them.
        codes = sorted(set(spread(ALL_TPS, 300)) |
                       {t for d in desas[::2] for t in tps_under(d)})
        random.Random(1000).shuffle(codes)
        poster = threading.Thread(target=lambda: self.count(server, [make_form(t) for t in codes]))
        poster.start()
        try:
            while poster.is_alive():
                for key, _ in selector.select(0.05):
                    for message in key.fileobj.pump():
                        subs[key.fileobj].add(message)
        finally:
            poster.join()
        http = {topic: self.tally(server, *topic) for topic in topics}
        self.assertEqual(http[PROVINCE]["tps"]["counted"], len(codes))
        pump_until(lambda: all(sub.seq == http[sub.topic]["seq"] for sub in subs.values()), 20,
                   "every viewer to reach the final seq")
        moved = 0
        for sub in subs.values():
            sub.assert_matches(http[sub.topic])
            moved += bool(sub.updates())
        self.assertGreater(moved, self.CLIENTS * 0.6)  # the others watch desa without forms
        self.assertEqual(metrics(server)["suara_ws_connections"], self.CLIENTS)

        # Closing them brings the gauges back to zero.
        for c in clients[:self.CLIENTS // 2]:
            c.close()
        harness.wait_until(lambda: metrics(server)["suara_ws_connections"] == self.CLIENTS // 2,
                           10, 0.05, "half the viewers to be gone")
        for c in clients:
            c.close()
        harness.wait_until(lambda: metrics(server)["suara_ws_connections"] == 0, 10, 0.05,
                           "every viewer to be gone")
        self.assertEqual(metrics(server)["suara_ws_subscriptions"], 0)


class IdleTest(LiveCase):
    IDLE = 5

    def test_a_peer_that_answers_no_pings_is_closed(self):
        server = self.serve("--idle-timeout", str(self.IDLE))
        start = time.monotonic()
        # A client that answers pings (python3-websocket does, inside recv) ...
        alive = self.open_live(server)
        alive.subscribe("gub-62", "62")
        alive.expect_type("snapshot")
        halt = threading.Event()
        failures = []

        def keep_reading():
            while not halt.is_set():
                try:
                    message = alive.recv(0.1)
                except Exception as e:  # the connection died
                    failures.append(e)
                    return
                if message is not None:
                    failures.append(message)

        thread = threading.Thread(target=keep_reading, daemon=True)
        thread.start()
        self.addCleanup(halt.set)
        # ... and one that completes the handshake, then never reads nor answers.
        dead = RawWS(server.host, feed_port(server), answer_pings=False).finish_handshake()
        self.addCleanup(dead.close)
        dead.subscribe("gub-62", "62")
        opened = time.monotonic()
        harness.wait_until(lambda: metrics(server)["suara_ws_connections"] == 2, 5, 0.05,
                           "two connections")
        harness.wait_until(lambda: metrics(server)["suara_ws_connections"] == 1, 2 * self.IDLE,
                           0.1, "the silent peer to be closed")
        closed_at = time.monotonic()
        closed_after = closed_at - opened
        self.assertGreater(closed_after, self.IDLE / 2 - 0.5, "closed before it was ever pinged")
        # Its socket was pinged, then closed.
        deadline = time.monotonic() + 5
        while not dead.closed and time.monotonic() < deadline:
            dead.pump(0.5)
        self.assertTrue(dead.closed, "the server did not close the silent peer's socket")
        self.assertGreaterEqual(dead.pings, 1, "the server closed the peer without pinging it")
        # The other one, connected before it, lives on well past that moment.
        while time.monotonic() < max(closed_at + 2, start + self.IDLE + 3):
            time.sleep(0.1)
            self.assertEqual(failures, [])
        halt.set()
        thread.join(5)
        self.assertEqual(failures, [])
        alive.subscribe("gub-62", "62.01")
        snapshot, before = alive.expect_type("snapshot")
        self.assertEqual((before, topic_of(snapshot)), ([], ("gub-62", "62.01")))
        self.assertEqual(metrics(server)["suara_ws_connections"], 1)


class PrivateReadsTest(LiveCase):
    """With --private-reads the live feed is a read like GET /api/v1/tally: no token, no
    tallies."""

    def test_the_live_feed_needs_a_token_when_reads_are_private(self):
        server = self.serve("--private-reads")
        monitor = self.fresh.make_token("monitor", "62")
        server.wait_for_token(monitor)  # reloaded on NOTIFY: wait, do not race it
        self.count(server, [make_form("62.01.01.1011.001")])
        status, _, body = server.get("/api/v1/tally/gub-62/62")
        self.assertEqual(status, 401, body)
        status, _, tally = server.get("/api/v1/tally/gub-62/62", token=monitor)
        self.assertEqual(status, 200, tally)

        # Without a token: the upgrade is refused, or the subscription is.
        got = None
        try:
            client = Live(server)
        except (websocket.WebSocketBadStatusException,
                websocket.WebSocketConnectionClosedException):
            pass
        else:
            self.addCleanup(client.close)
            try:
                client.subscribe("gub-62", "62")
                got = client.recv(3.0)
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                pass
        if got is not None:
            self.assertEqual(got.get("type"), "error",
                             f"tallies over the live feed without a token: {str(got)[:200]}")

        # With one, as everywhere else, in the Authorization header.
        live = self.open_live(server, header=[f"Authorization: Bearer {monitor}"])
        live.subscribe("gub-62", "62")
        snapshot, before = live.expect_type("snapshot")
        self.assertEqual(before, [])
        self.assertEqual(without_type(snapshot), tally)


# --- the same feed from the live thread (--live-listen) ------------------------------
# Every case above again, the viewers on the live thread's port and the forms on the
# server's own: snapshot then updates in seq order, resync after a stall, topics freed
# with their last subscriber, hostile and idle clients bounded. (Not PrivateReadsTest:
# --live-listen refuses --private-reads.)


class ThreadProtocolTest(ProtocolTest):
    live_thread = True


class ThreadUpdateTest(UpdateTest):
    live_thread = True


class ThreadSlowReaderTest(SlowReaderTest):
    live_thread = True


class ThreadManySubscribersTest(ManySubscribersTest):
    live_thread = True


class ThreadIdleTest(IdleTest):
    live_thread = True


class LiveThreadTest(LiveCase):
    """What only the threaded feed has: two ports, two loops, one tally."""

    live_thread = True

    def test_a_viewer_on_the_live_port_gets_forms_posted_on_the_main_port(self):
        server = self.serve()
        live = self.open_live(server)
        live.subscribe("gub-62", "62")
        snapshot, _ = live.expect_type("snapshot")
        self.assertEqual(snapshot["seq"], 0)
        self.count(server, [make_form(t) for t in spread(ALL_TPS, 5)])
        expected = self.tally(server, "gub-62", "62")
        update, _ = live.expect(lambda m: m.get("type") == "update" and
                                m.get("seq") == expected["seq"], timeout=10,
                                what=f"the update at seq {expected['seq']}")
        self.assertEqual(totals(without_type(update)), totals(expected))
        # The feed on --listen keeps working beside the thread's, from the same tallies.
        on_main = server.ws(LIVE)
        self.addCleanup(on_main.close)
        on_main.send(json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62"}))
        on_main.settimeout(5)
        self.assertEqual(without_type(json.loads(on_main.recv())), expected)

    def test_the_server_stops_cleanly_with_viewers_connected(self):
        server = self.serve()
        viewers = [self.open_live(server) for _ in range(20)]
        for viewer in viewers:
            viewer.subscribe("gub-62", "62")
        for viewer in viewers:
            viewer.expect_type("snapshot")
        self.count(server, [make_form(t) for t in spread(ALL_TPS, 20)])
        for viewer in viewers:
            viewer.expect_type("update", timeout=10)
        # stop() asserts exit status 0 and no sanitizer report: the thread joined,
        # both loops closed, every connection and message freed.
        server.stop()

    def test_live_listen_refuses_what_it_does_not_support(self):
        for extra in (["--private-reads"], ["--tls-cert", "c.pem", "--tls-key", "k.pem"]):
            with self.subTest(extra=extra):
                proc = harness.suara("serve", "--db", self.fresh.conninfo, "--live-listen",
                                     "127.0.0.1:1", *extra)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("--live-listen", proc.stderr)

    def test_the_live_port_serves_only_the_feed(self):
        server = self.serve()
        status, _, body = server.get("/api/v1/status")
        self.assertEqual((status, body["live_port"]), (200, server.feed_port))
        conn = http.client.HTTPConnection(server.host, server.feed_port, timeout=5)
        self.addCleanup(conn.close)
        conn.request("GET", "/api/v1/status")
        self.assertEqual(conn.getresponse().status, 404)


if __name__ == "__main__":
    harness.main()
