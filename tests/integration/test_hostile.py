"""Hostile clients against the real server: a catalogue of bad inputs for every
endpoint, and clients that are slow, vanish, pipeline, flood or send oversized
frames. Every bad input must get the right status with the contract's JSON
error body (where the request reaches Suara at all), and the server must stay
up: /healthz is checked after every group, and every server is finally stopped
with SIGTERM, which the harness asserts exits 0 with no sanitizer report.

Limits are always the configurable ones (--max-body, --idle-timeout,
--max-subscriptions, --ws-queue-max, --rate-per-minute), set explicitly here.
"""

import json
import os
import re
import select
import socket
import struct
import threading
import time

import harness

MAX_BODY = 65536
IDLE_TIMEOUT = 5
CONTEST = "gub-62"


# --- valid forms -------------------------------------------------------------

def form_for(sid, tps, dpt, held=False):
    """A gub-62 form for `tps` (roll of `dpt` voters) that passes every check
    (harness.build_form), or fails valid_sum when held=True."""
    form = harness.build_form(sid, tps, dpt)
    if held:
        form["votes"]["1"] += 1  # stored, but held
    return form


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


# --- raw HTTP ---------------------------------------------------------------------

class RawResponse:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # lower-case name -> value (last one wins)
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"


class RawConn:
    """One TCP connection speaking raw bytes, for requests http.client will
    not send (bad framing, pipelining, NUL bytes). read_response parses one
    HTTP/1.x response; it returns None when the server closed the connection
    without a (complete) response."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.closed = False

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        if self.closed:
            return False
        try:
            data = self.sock.recv(65536)
        except ConnectionResetError:
            data = b""
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def read_response(self, head=False):
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw_head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3}) ?(.*)", lines[0])
        if not m:
            raise AssertionError(f"not an HTTP status line: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        status = int(m.group(1))
        length = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            if not self._fill():
                raise AssertionError(f"connection closed inside a {status} body")
        body, self.buf = self.buf[:length], self.buf[length:]
        return RawResponse(status, m.group(2), headers, body)

    def wait_closed(self, timeout):
        """True if the server closes the connection within timeout seconds
        (reading and discarding anything it sends)."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                self._fill()
            except socket.timeout:
                return False
        return True

    def close(self):
        self.sock.close()


def raw_once(port, data, timeout=5.0, head=False):
    conn = RawConn(port, timeout)
    try:
        conn.send(data)
        return conn.read_response(head=head)
    except (ConnectionResetError, BrokenPipeError):
        return None
    finally:
        conn.close()


def http_request(method, path, body=b"", token=None, content_type="application/json",
                 extra=b"", close=True):
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    if token:
        head += f"Authorization: Bearer {token}\r\n".encode()
    if content_type:
        head += f"Content-Type: {content_type}\r\n".encode()
    if body or method in ("POST", "PUT", "PATCH"):
        head += f"Content-Length: {len(body)}\r\n".encode()
    if close:
        head += b"Connection: close\r\n"
    return head + extra + b"\r\n" + body


def chunked(body, size=1000):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def asan_small_quarantine():
    """Environment for a server whose memory is measured: AddressSanitizer's
    quarantine (256 MB by default) would otherwise look like growth."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (opts + ":" if opts else "") +
            "quarantine_size_mb=4:thread_local_quarantine_size_kb=64"}


class HostileCase(harness.SuaraTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.witness = cls.db.make_token("witness", "62", "hostile witness")
        cls.admin = cls.db.make_token("admin", "62", "hostile admin")
        rows = cls.db.rows("SELECT code, dpt FROM tps WHERE dpt BETWEEN 100 AND 600 ORDER BY code")
        cls.tps_pool = [(code, int(dpt)) for code, dpt in rows]
        cls._used = set()

    @classmethod
    def take_tps(cls, prefix=""):
        """A TPS (inside `prefix`) no other test of this module has used, so
        forms never collide."""
        for i, (code, dpt) in enumerate(cls.tps_pool):
            if i not in cls._used and code.startswith(prefix):
                cls._used.add(i)
                return code, dpt
        raise AssertionError(f"no unused TPS left in {prefix!r}")

    def new_form(self, prefix="h", held=False, region=""):
        code, dpt = self.take_tps(region)
        sid = f"{prefix}-{self.id().rsplit('.', 1)[-1]}-{code}"
        return form_for(sid, code, dpt, held=held)

    def assert_up(self, server, what=""):
        """The server still answers /healthz promptly on a fresh connection."""
        self.assertTrue(server.running, f"server exited after {what}\n{server.log_tail()}")
        try:
            r = raw_once(server.port, HEALTHZ, timeout=3)
        except OSError as e:
            r = e
        if not isinstance(r, RawResponse) or r.status != 200:
            server.kill()  # a hung server would otherwise stall the harness's stop
            self.fail(f"/healthz did not answer 200 after {what}: {r!r}\n{server.log_tail()}")

    def assert_json_error(self, r, status, code=None, what=""):
        self.assertIsNotNone(r, f"{what}: connection closed without a response")
        self.assertEqual(r.status, status, f"{what}: {r!r}")
        self.assertIn("application/json", r.headers.get("content-type", ""), f"{what}: {r!r}")
        try:
            body = r.json()  # also proves the body is valid UTF-8
        except (UnicodeDecodeError, ValueError) as e:
            self.fail(f"{what}: error body is not UTF-8 JSON ({e}): {r.body[:300]!r}")
        self.assertIsInstance(body, dict, what)
        self.assertEqual(set(body), {"error"}, f"{what}: {body}")
        err = body["error"]
        self.assertIsInstance(err.get("code"), str, f"{what}: {body}")
        self.assertRegex(err["code"], r"^[a-z][a-z0-9_]*$", what)
        self.assertIsInstance(err.get("message"), str, f"{what}: {body}")
        self.assertTrue(err["message"], what)
        self.assertIsInstance(err.get("details"), list, f"{what}: {body}")
        if code is not None:
            self.assertEqual(err["code"], code, f"{what}: {body}")
        return err

    def post_raw(self, server, body, token=None, content_type="application/json",
                 path="/api/v1/forms", extra=b""):
        return raw_once(server.port, http_request("POST", path, body, token or self.witness,
                                                  content_type, extra))


# --- the catalogue of bad bodies ---------------------------------------------------

def truncations(body, step):
    return [body[:n] for n in range(0, len(body), step)]


def catalogue(valid):
    """(name, body bytes, status, error code, expected detail or None)."""
    v = dumps(valid)
    text = v.decode()

    def with_(**changes):
        d = json.loads(text)
        d.update(changes)
        return dumps(d)

    def replace(old, new):
        assert old in text, old
        return text.replace(old, new, 1).encode()

    valid_pair = f'"valid":{valid["valid"]}'
    entries = [
        ("empty", b"", 400, "malformed_json", None),
        ("whitespace", b"  \r\n\t ", 400, "malformed_json", None),
        ("open brace", b"{", 400, "malformed_json", None),
        ("close brace", b"}", 400, "malformed_json", None),
        ("array", b"[]", 400, "malformed_json", None),
        ("array of form", b"[" + v + b"]", 400, "malformed_json", None),
        ("null", b"null", 400, "malformed_json", None),
        ("number", b"42", 400, "malformed_json", None),
        ("string", b'"form"', 400, "malformed_json", None),
        ("true", b"true", 400, "malformed_json", None),
        ("trailing garbage", v + b"x", 400, "malformed_json", None),
        ("two objects", v + v, 400, "malformed_json", None),
        ("trailing comma", v[:-1] + b",}", 400, "malformed_json", None),
        ("single quotes", v.replace(b'"', b"'"), 400, "malformed_json", None),
        ("comment", b"/* c */" + v, 400, "malformed_json", None),
        ("NaN", with_(valid=0).replace(b'"valid":0', b'"valid":NaN'), 400, "malformed_json", None),
        ("Infinity", with_(valid=0).replace(b'"valid":0', b'"valid":Infinity'), 400,
         "malformed_json", None),
        ("leading zero", replace(valid_pair, '"valid":0' + str(valid["valid"])), 400,
         "malformed_json", None),
        ("plus sign", replace(valid_pair, '"valid":+' + str(valid["valid"])), 400,
         "malformed_json", None),
        ("hex number", replace(valid_pair, '"valid":0x10'), 400, "malformed_json", None),
        ("bare dot", replace(valid_pair, '"valid":1.'), 400, "malformed_json", None),
        ("raw control char", replace('"tps":"', '"tps":"\x01'), 400, "malformed_json", None),
        ("raw newline in string", replace('"tps":"', '"tps":"\n'), 400, "malformed_json", None),
        ("escaped NUL", replace('"submission_id":"', '"submission_id":"\\u0000'), 400,
         "malformed_json", None),
        ("form-feed whitespace", b"\x0c" + v, 400, "malformed_json", None),
        ("NUL byte after body", v + b"\x00", 400, "malformed_json", None),
        ("urlencoded", b"submission_id=x&tps=62.01.01.1011.001", 400, "malformed_json", None),
        ("UTF-16", v.decode().encode("utf-16"), 400, "malformed_json", None),
        ("lone surrogate key", replace('"valid"', '"\\ud800"'), 400, "malformed_json", None),
        ("unterminated string", b'{"submission_id": "abc', 400, "malformed_json", None),
        ("deep array 60k", b"[" * 60000, 400, "malformed_json", None),
        ("deep object 10k", b'{"a":' * 10000, 400, "malformed_json", None),
        ("deep array balanced 20k", b"[" * 20000 + b"]" * 20000, 400, "malformed_json", None),
        # structural rules: 422 with details
        ("empty object", b"{}", 422, "invalid_form", {"field": "submission_id", "code": "missing"}),
        ("unknown field", with_(extra=1), 422, "invalid_form",
         {"field": "extra", "code": "unknown_field"}),
        ("string for number", with_(valid=str(valid["valid"])), 422, "invalid_form",
         {"field": "valid", "code": "not_integer"}),
        ("float", with_(valid=1.5), 422, "invalid_form", {"field": "valid", "code": "not_integer"}),
        ("negative", with_(invalid=-1), 422, "invalid_form",
         {"field": "invalid", "code": "out_of_range"}),
        ("10000", with_(invalid=10000), 422, "invalid_form",
         {"field": "invalid", "code": "out_of_range"}),
        ("2^64", replace(valid_pair, '"valid":18446744073709551616'), 422, "invalid_form",
         {"field": "valid", "code": "out_of_range"}),
        ("huge digits", replace(valid_pair, '"valid":' + "9" * 5000), 422, "invalid_form",
         {"field": "valid", "code": "out_of_range"}),
        ("1e400", replace(valid_pair, '"valid":1e400'), 422, "invalid_form",
         {"field": "valid", "code": "out_of_range"}),
        ("-1e400", replace(valid_pair, '"valid":-1e400'), 422, "invalid_form",
         {"field": "valid", "code": "out_of_range"}),
        ("tiny float", replace(valid_pair, '"valid":1e-400'), 400, "malformed_json", None),
        ("bool for number", with_(valid=True), 422, "invalid_form",
         {"field": "valid", "code": "not_integer"}),
        ("null for number", with_(valid=None), 422, "invalid_form",
         {"field": "valid", "code": "not_integer"}),
        ("object for number", with_(valid={}), 422, "invalid_form",
         {"field": "valid", "code": "not_integer"}),
        ("array for object", with_(ballots=[1, 2, 3, 4]), 422, "invalid_form",
         {"field": "ballots", "code": "not_object"}),
        ("number for string", with_(tps=62), 422, "invalid_form",
         {"field": "tps", "code": "not_string"}),
        ("duplicate top key", v[:-1] + f',"valid":{valid["valid"]}}}'.encode(), 422,
         "invalid_form", {"field": "valid", "code": "duplicate_key"}),
        ("duplicate vote key", replace('"votes":{', '"votes":{"1":0,'), 422, "invalid_form",
         {"field": "votes.1", "code": "duplicate_key"}),
        ("duplicate nested key", replace('"ballots":{', '"ballots":{"used":1,'), 422,
         "invalid_form", {"field": "ballots.used", "code": "duplicate_key"}),
        ("unknown candidate", replace('"votes":{', '"votes":{"9":0,'), 422, "invalid_form",
         {"field": "votes.9", "code": "unknown_candidate"}),
        ("vote key 0", replace('"votes":{', '"votes":{"0":0,'), 422, "invalid_form", None),
        ("vote key 01", replace('"votes":{', '"votes":{"01":0,'), 422, "invalid_form", None),
        ("vote key huge", replace('"votes":{', '"votes":{"99999999999999999999":0,'), 422,
         "invalid_form", None),
        ("empty votes", with_(votes={}), 422, "invalid_form", {"field": "votes", "code": "empty"}),
        ("100 votes", with_(votes={str(i): 0 for i in range(1, 101)}), 422, "invalid_form",
         None),
        ("invalid UTF-8 in value", v.replace(b'"submission_id":"', b'"submission_id":"\xff\xfe', 1),
         422, "invalid_form", {"field": "submission_id", "code": "bad_format"}),
        ("invalid UTF-8 key", v[:-1] + b',"\xff\xfe\xc3":1}', 422, "invalid_form", None),
        ("overlong UTF-8 key", v[:-1] + b',"\xc0\xaf\xe0\x80\xaf":1}', 422, "invalid_form", None),
        ("cut multibyte key", v[:-1] + b',"' + "é".encode() * 40 + b'":1}', 422, "invalid_form",
         None),
        ("long key", v[:-1] + b',"' + b"k" * 5000 + b'":1}', 422, "invalid_form", None),
        ("many unknown keys", v[:-1] + b"".join(b',"k%d":1' % i for i in range(3000)) + b"}",
         422, "invalid_form", None),
        ("submission_id too long", with_(submission_id="a" * 65), 422, "invalid_form",
         {"field": "submission_id", "code": "bad_format"}),
        ("submission_id empty", with_(submission_id=""), 422, "invalid_form",
         {"field": "submission_id", "code": "bad_format"}),
        ("submission_id slash", with_(submission_id="../../x"), 422, "invalid_form",
         {"field": "submission_id", "code": "bad_format"}),
        ("submission_id quote", with_(submission_id='a"b'), 422, "invalid_form",
         {"field": "submission_id", "code": "bad_format"}),
        ("sql in tps", with_(tps="62'; DROP TABLE forms; --"), 422, "invalid_form",
         {"field": "tps", "code": "bad_format"}),
        ("unknown tps", with_(tps="62.99.99.9999.999"), 422, "invalid_form",
         {"field": "tps", "code": "unknown_tps"}),
        ("desa for tps", with_(tps=valid["tps"][:-4]), 422, "invalid_form",
         {"field": "tps", "code": "bad_format"}),
        ("unknown contest", with_(contest="gub-99"), 422, "invalid_form",
         {"field": "contest", "code": "unknown_contest"}),
        ("contest case", with_(contest="GUB-62"), 422, "invalid_form", None),
        ("tps outside contest", with_(contest="wal-62.71"), 422, "invalid_form",
         {"field": "tps", "code": "tps_not_in_contest"}),
        ("bad photo", with_(photo_sha256="z" * 64), 422, "invalid_form",
         {"field": "photo_sha256", "code": "bad_format"}),
    ]
    for i, cut in enumerate(truncations(v, 23)):
        entries.append((f"truncated at {len(cut)}", cut, 400, "malformed_json", None))
    return entries


class BadBodiesTest(HostileCase):
    def test_form_catalogue(self):
        """Every bad body of the catalogue gets its status, error code and
        detail; nothing is stored; the server stays up."""
        server = self.start_server("--max-body", MAX_BODY, "--rate-per-minute", 0, ready=True)
        valid = self.new_form("cat")
        before = self.value("SELECT count(*) FROM forms")
        for name, body, status, code, detail in catalogue(valid):
            with self.subTest(name):
                self.assertLessEqual(len(body), MAX_BODY, name)
                r = self.post_raw(server, body)
                err = self.assert_json_error(r, status, code, what=name)
                if status == 422:
                    self.assertTrue(err["details"], f"{name}: 422 without details")
                    for d in err["details"]:
                        self.assertEqual(set(d), {"field", "code"}, f"{name}: {d}")
                        self.assertLessEqual(len(d["field"].encode()), 64, f"{name}: {d}")
                if detail is not None:
                    self.assertIn(detail, err["details"], name)
        self.assert_up(server, "the body catalogue")
        self.assertEqual(self.value("SELECT count(*) FROM forms"), before, "a bad body was stored")
        # the valid form itself still goes through afterwards
        r = self.post_raw(server, dumps(valid))
        self.assertEqual(r.status, 201, r)

    def test_deep_nesting_over_64k(self):
        """100,000 '[' (needs a --max-body above 64 KiB): 400, no stack overflow."""
        server = self.start_server("--max-body", 300000, "--rate-per-minute", 0, ready=True)
        for name, body in (("100k [", b"[" * 100000), ("100k {", b'{"a":' * 50000),
                           ("nested in form", b'{"votes":' + b"[" * 100000 + b"}"),
                           ("balanced 100k", b"[" * 100000 + b"]" * 100000)):
            with self.subTest(name):
                r = self.post_raw(server, body)
                self.assert_json_error(r, 400, "malformed_json", name)
        # a held form, so that the decision body is read (no form: 404 before any parsing)
        r = self.post_raw(server, dumps(self.new_form("deep", held=True)))
        self.assertEqual(r.status, 201, r)
        decision = http_request("POST", f"/api/v1/forms/{r.json()['form_id']}/decision",
                                b"[" * 100000, self.admin)
        r = raw_once(server.port, decision)
        self.assert_json_error(r, 400, "malformed_json", "deep decision body")
        self.assert_up(server, "deep nesting")

    def test_content_types(self):
        """Suara reads the body as JSON whatever the Content-Type says (the
        contract requires none); a non-JSON body is still 400, never a crash."""
        server = self.start_server("--rate-per-minute", 0, ready=True)
        for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                      "application/json; charset=latin1", "", "\xff\xfe/\x01"):
            with self.subTest(ctype):
                form = self.new_form("ctype")
                r = raw_once(server.port, http_request(
                    "POST", "/api/v1/forms", dumps(form), self.witness, None,
                    extra=b"Content-Type: " + ctype.encode("latin-1") + b"\r\n"))
                self.assertIsNotNone(r, ctype)
                self.assertEqual(r.status, 201, f"{ctype}: {r!r}")
                r = raw_once(server.port, http_request(
                    "POST", "/api/v1/forms", b"a=1&b=2", self.witness, None,
                    extra=b"Content-Type: " + ctype.encode("latin-1") + b"\r\n"))
                self.assert_json_error(r, 400, "malformed_json", what=ctype)
        self.assert_up(server, "content types")


class SizeLimitsTest(HostileCase):
    def test_oversized_bodies(self):
        """--max-body is inclusive: MAX bytes are read, MAX+1 get 413 and the
        connection is closed, whether framed by Content-Length or chunked (or
        a chunked body is refused with 411 before it is read)."""
        server = self.start_server("--max-body", MAX_BODY, "--rate-per-minute", 0, ready=True)
        form = self.new_form("big")
        exact = dumps(form)
        exact = exact + b" " * (MAX_BODY - len(exact))
        self.assertEqual(len(exact), MAX_BODY)
        r = self.post_raw(server, exact)
        self.assertIsNotNone(r, "a body of exactly --max-body bytes")
        self.assertEqual(r.status, 201, r)

        over = b" " * (MAX_BODY + 1)
        for name, req in (
                ("content-length", http_request("POST", "/api/v1/forms", over, self.witness,
                                                close=False)),
                ("content-length, no token", http_request("POST", "/api/v1/forms", over, None,
                                                          close=False)),
                ("chunked", b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 + self.witness.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                 + chunked(over)),
                ("chunked 1-byte chunks", b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n" + chunked(over[:MAX_BODY + 1], 1)),
                ("content-length only", b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 99999999999999999999\r\n\r\n{}"),
                ("decision", http_request("POST", "/api/v1/forms/1/decision", over, self.admin,
                                          close=False))):
            with self.subTest(name):
                conn = RawConn(server.port)
                try:
                    try:
                        conn.send(req)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the server may answer and close before we finish
                    r = conn.read_response()
                    if name.startswith("chunked"):
                        # chunked bodies are refused outright (docs/api.md)
                        self.assert_json_error(r, 411, "length_required", name)
                    else:
                        self.assert_json_error(r, 413, "body_too_large", name)
                    self.assertEqual(r.headers.get("connection", "").lower(), "close", name)
                    self.assertTrue(conn.wait_closed(3), f"{name}: connection left open")
                finally:
                    conn.close()
        self.assert_up(server, "oversized bodies")

    def test_max_body_is_configurable(self):
        server = self.start_server("--max-body", 2048, "--rate-per-minute", 0, ready=True)
        form = self.new_form("small")
        body = dumps(form)
        self.assertLess(len(body), 2048)
        r = self.post_raw(server, body + b" " * (2049 - len(body)))
        self.assert_json_error(r, 413, "body_too_large", "2049 bytes with --max-body 2048")
        r = self.post_raw(server, body + b" " * (2048 - len(body)))
        self.assertEqual(r.status, 201, r)
        self.assert_up(server, "--max-body 2048")

    def test_chunked_small_body(self):
        """A valid form sent with Transfer-Encoding: chunked is answered at once
        with 411 length_required and a JSON error, never dropped silently."""
        server = self.start_server("--rate-per-minute", 0, ready=True)
        form = self.new_form("chunk")
        req = (b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
               + self.witness.encode() + b"\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               + chunked(dumps(form), 100))
        try:
            r = raw_once(server.port, req, timeout=IDLE_TIMEOUT + 5)
        except socket.timeout:
            self.fail(f"a chunked POST got no response within {IDLE_TIMEOUT + 5}s")
        self.assertIsNotNone(r, "a chunked POST was closed without any response")
        self.assert_json_error(r, 411, "length_required", "chunked")
        self.assert_up(server, "chunked body")

    def test_headers_and_uris(self):
        """Oversized headers and URIs: 4xx (414 with a JSON body when Suara sees
        the request) or, where libwebsockets' header buffer overflows before
        Suara sees anything, a closed connection (within --idle-timeout at
        worst); never a crash."""
        server = self.start_server("--rate-per-minute", 0, "--idle-timeout", IDLE_TIMEOUT,
                                   ready=True)
        for name, req, want in (
                ("path 600", b"GET /api/v1/regions/" + b"6" * 600 +
                 b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                ("path 3000", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                ("query 3000", b"GET /api/v1/review?region=" + b"6" * 3000 +
                 b" HTTP/1.1\r\nHost: x\r\n\r\n", None),
                ("path 10000", b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", None),
                ("path 1 MiB", b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n", None),
                ("header 5000", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 5000 +
                 b"\r\n\r\n", None),
                ("500 headers", b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                 b"".join(b"X-H%d: v\r\n" % i for i in range(500)) + b"\r\n", None),
                ("auth 5000", b"GET /api/v1/review HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 b"a" * 5000 + b"\r\n\r\n", None),
                ("auth 300", b"GET /api/v1/review HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                 b"a" * 300 + b"\r\n\r\n", 401),
                ("header line without colon",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n", None),
                ("binary garbage", bytes(range(256)) * 4, None)):
            with self.subTest(name):
                try:
                    r = raw_once(server.port, req, timeout=IDLE_TIMEOUT + 6)
                except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
                    self.fail(f"{name}: {e!r} (a 4xx answer or a close is expected)")
                if want is not None:
                    self.assert_json_error(r, want, what=name)
                elif r is not None:
                    self.assertTrue(400 <= r.status < 500, f"{name}: {r!r}")
                self.assert_up(server, name)
        # libwebsockets is lenient about the version; whatever it does, it must
        # answer like a server (never 5xx) or close
        for name, req in (("HTTP/9.9", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n"),
                          ("no version", b"GET /healthz\r\n\r\n"),
                          ("HTTP/0.9", b"GET /healthz\r\n")):
            with self.subTest(name):
                try:
                    r = raw_once(server.port, req, timeout=2)
                except socket.timeout:
                    r = None
                if r is not None:
                    self.assertLess(r.status, 500, f"{name}: {r!r}")
                self.assert_up(server, name)


class RoutesTest(HostileCase):
    def test_methods(self):
        server = self.start_server("--rate-per-minute", 0, ready=True)
        table = [
            ("GET", "/api/v1/forms", 405, "POST"), ("PUT", "/api/v1/forms", 405, "POST"),
            ("DELETE", "/api/v1/forms", 405, "POST"), ("PATCH", "/api/v1/forms", 405, "POST"),
            ("OPTIONS", "/api/v1/forms", 405, "POST"),
            ("GET", "/api/v1/forms/1/decision", 405, "POST"),
            ("POST", "/api/v1/contests", 405, "GET"), ("PUT", "/api/v1/regions/62", 405, "GET"),
            ("DELETE", "/api/v1/tally/gub-62/62", 405, "GET"), ("POST", "/healthz", 405, "GET"),
            ("POST", "/readyz", 405, "GET"), ("DELETE", "/metrics", 405, "GET"),
            ("POST", "/api/v1/review", 405, "GET"), ("POST", "/api/v1/live", 405, "GET"),
            ("GET", "/api/v1/live", 405, "GET"), ("POST", "/", 405, "GET"),
            ("DELETE", "/index.html", 405, "GET"),
        ]
        for method, path, status, allow in table:
            with self.subTest(f"{method} {path}"):
                r = raw_once(server.port, http_request(method, path, b"", self.admin))
                self.assert_json_error(r, status, "method_not_allowed", f"{method} {path}")
                self.assertEqual(r.headers.get("allow"), allow, f"{method} {path}")
        # methods libwebsockets does not know are refused before Suara sees
        # them: a 4xx, a close, or (CONNECT) silence until the idle timeout
        for method in (b"FOO", b"TRACE", b"CONNECT", b"PROPFIND", b"G\x00ET"):
            with self.subTest(method):
                try:
                    r = raw_once(server.port, method + b" /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                 timeout=2)
                except socket.timeout:
                    r = None
                if r is not None:
                    self.assertTrue(400 <= r.status < 500, f"{method}: {r!r}")
        self.assert_up(server, "wrong methods")

    def test_head_has_no_body(self):
        """A HEAD answer carries no body, so a keep-alive client's next answer
        is not corrupted (HEAD then GET on one connection)."""
        server = self.start_server("--rate-per-minute", 0, ready=True)
        for path in ("/", "/healthz", "/api/v1/contests", "/api/v1/regions/62",
                     "/api/v1/nothing"):
            with self.subTest(path):
                conn = RawConn(server.port)
                try:
                    conn.send(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode() +
                              b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    first = conn.read_response(head=True)
                    self.assertIsNotNone(first, f"HEAD {path}: no answer")
                    self.assertIn(first.status, (200, 404, 405), f"HEAD {path}: {first!r}")
                    second = conn.read_response()
                    self.assertIsNotNone(second, f"HEAD {path}: the next request got no answer")
                    self.assertEqual((second.status, second.body), (200, b'{"status":"ok"}'),
                                     f"HEAD {path} then GET /healthz: {second!r} "
                                     f"(a body was sent after the HEAD headers?)")
                finally:
                    conn.close()
        self.assert_up(server, "HEAD")

    def test_unknown_codes_and_ids(self):
        reviewer = self.make_token("reviewer", "62.01", "hostile reviewer")
        server = self.start_server("--rate-per-minute", 0, ready=True)
        table = [
            ("/api/v1/regions/99", 404), ("/api/v1/regions/62.99", 404),
            ("/api/v1/regions/62.01.01.1011.999", 404), ("/api/v1/regions/", 404),
            ("/api/v1/regions/62.01.01.1011.001.001", 404), ("/api/v1/regions/6", 404),
            ("/api/v1/regions/%ff%fe", 404),
            ("/api/v1/tally/gub-99/62", 404), ("/api/v1/tally/gub-62/99", 404),
            ("/api/v1/tally/bup-62.01/62.02", 404), ("/api/v1/tally/bup-62.01/62", 404),
            ("/api/v1/tally/gub-62", 404), ("/api/v1/tally/gub-62/62/x", 404),
            ("/api/v1/tally//62", 404), ("/api/v1/tally/", 404),
            ("/api/v1/tps/62", 404), ("/api/v1/tps/62.01.01.1011", 404),
            ("/api/v1/tps/62.01.01.1011.999", 404), ("/api/v1/tps/", 404),
            ("/api/v1/export/nope.csv", 404), ("/api/v1/export/gub-62", 404),
            ("/api/v1/export/.csv", 404), ("/api/v1/export/gub-62.csv?level=planet", 400),
            ("/api/v1/export/gub-62.csv?level=province", 400),
            ("/api/v1/export/gub-62.csv?level=" + "x" * 400, 400),
            ("/api/v1/forms/0", 404), ("/api/v1/forms/-1", 404), ("/api/v1/forms/abc", 404),
            ("/api/v1/forms/99999999999999999999999", 404), ("/api/v1/forms/1x", 404),
            ("/api/v1/forms/9223372036854775807", 404), ("/api/v1/nothing", 404),
            ("/api/v2/forms", 404),
            ("/api", 404), ("/api/", 404), ("/api/v1", 404),
        ]
        for path, status in table:
            with self.subTest(path):
                r = raw_once(server.port, http_request("GET", path, b"", None))
                self.assert_json_error(r, status, what=path)
        for path, status in (("/api/v1/review?contest=gub-99", 404),
                             ("/api/v1/review?region=99", 404),
                             ("/api/v1/review?region=62", 403),
                             ("/api/v1/review?region=" + "6" * 40, 404),
                             ("/api/v1/review?contest=" + "g" * 300, 404)):
            with self.subTest(path):
                r = raw_once(server.port, http_request("GET", path, b"", reviewer))
                self.assert_json_error(r, status, what=path)
        for path in ("/api/v1/forms/0/decision", "/api/v1/forms/-5/decision",
                     "/api/v1/forms/99999999999999999999/decision", "/api/v1/forms/x/decision",
                     "/api/v1/forms/1/decisionx"):
            with self.subTest(path):
                r = raw_once(server.port, http_request(
                    "POST", path, b'{"decision":"count","reason":"x"}', self.admin))
                self.assert_json_error(r, 404, what=path)
        self.assert_up(server, "unknown codes")

    def test_path_tricks(self):
        server = self.start_server("--rate-per-minute", 0, ready=True)
        secret = b"root:x:0:0"
        for path in (b"/../../../../etc/passwd", b"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                     b"/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", b"/..%2f..%2f..%2fetc%2fpasswd",
                     b"/js/../../../etc/passwd", b"//etc/passwd", b"/./././etc/passwd",
                     b"/%252e%252e/etc/passwd", b"/..\\..\\etc\\passwd",
                     b"/api/v1/../../../etc/passwd", b"/api/v1/regions/../../../etc/passwd",
                     b"/index.html/../../../etc/passwd", b"/index.html%00.js",
                     b"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", b"/x.js", b"/" + b"../" * 200,
                     b"/" + b"a/" * 250, b"/api/v1/regions/" + b"%41" * 160):
            with self.subTest(path):
                r = raw_once(server.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n"
                             b"Connection: close\r\n\r\n")
                if r is not None:
                    self.assertLess(r.status, 500, f"{path}: {r!r}")
                    self.assertNotIn(secret, r.body, path)
                    if r.status >= 400:
                        self.assert_json_error(r, r.status, what=path)
        # A NUL ends the path inside libwebsockets: what is left is served
        # (the web client for "/"), refused (4xx) or the connection closed;
        # never a file outside the web client, never an error of the server.
        for path in (b"/api/v1/regions/62\x00", b"/\x00", b"/api/v1/regions/62%00",
                     b"/%00../../etc/passwd", b"/api/v1/tally/gub-62/62%00.01",
                     b"/index.html\x00/../../etc/passwd"):
            with self.subTest(repr(path)):
                r = raw_once(server.port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
                if r is not None:
                    self.assertLess(r.status, 500, f"{path}: {r!r}")
                    self.assertNotIn(secret, r.body, path)
                    if r.status == 200 and not path.startswith(b"/api/"):
                        self.assertIn(b"<html", r.body, path)
                    elif r.status != 200:
                        self.assertTrue(400 <= r.status < 500, f"{path}: {r!r}")
        self.assert_up(server, "path tricks")

    def test_auth_header_tricks(self):
        form_obj = self.new_form("auth")
        form = dumps(form_obj)
        monitor = self.make_token("monitor", "62", "hostile monitor")
        elsewhere = "62.03" if form_obj["tps"].startswith("62.02") else "62.02"
        narrow = self.make_token("witness", elsewhere, "hostile narrow witness")
        server = self.start_server("--rate-per-minute", 0, ready=True)
        for name, header, code in (
                ("none", b"", "missing_token"),
                ("basic", b"Authorization: Basic dXNlcjpwYXNz\r\n", "bad_token"),
                ("bearer only", b"Authorization: Bearer\r\n", "bad_token"),
                ("bearer space", b"Authorization: Bearer \r\n", "bad_token"),
                ("long token", b"Authorization: Bearer " + b"a" * 1000 + b"\r\n", "bad_token"),
                ("unknown", b"Authorization: Bearer sk_" + b"a" * 43 + b"\r\n", "unknown_token"),
                ("token prefix", b"Authorization: Bearer " + self.witness[:-1].encode() + b"\r\n",
                 "unknown_token"),
                ("token + junk", b"Authorization: Bearer " + self.witness.encode() + b"x\r\n",
                 "unknown_token"),
                ("binary token", b"Authorization: Bearer \xff\xfe\x01\r\n", None),
                ("two headers", b"Authorization: Bearer nope\r\nAuthorization: Bearer nope2\r\n",
                 None)):
            with self.subTest(name):
                r = raw_once(server.port, http_request("POST", "/api/v1/forms", form, None,
                                                       extra=header))
                if r is None and name in ("binary token", "two headers"):
                    continue  # refused by libwebsockets before Suara sees it
                err = self.assert_json_error(r, 401, what=name)
                if code:
                    self.assertEqual(err["code"], code, name)
        r = raw_once(server.port, http_request("POST", "/api/v1/forms", form, monitor))
        self.assert_json_error(r, 403, "forbidden", "monitor submits")
        r = raw_once(server.port, http_request("POST", "/api/v1/forms", form, narrow))
        self.assert_json_error(r, 403, "forbidden", "witness outside scope")
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE submission_id = "
                                    f"'{json.loads(form)['submission_id']}'"), "0")
        self.assert_up(server, "auth tricks")


class DecisionTest(HostileCase):
    def test_decision_bodies(self):
        """Bad decision bodies get 400/422 with a valid UTF-8 JSON body; a
        decision answered 200 is in PostgreSQL; the writer keeps working."""
        server = self.start_server("--rate-per-minute", 0, "--ack-timeout-ms", 3000, ready=True)
        held = self.new_form("dec", held=True)
        r = self.post_raw(server, dumps(held))
        self.assertEqual(r.status, 201, r)
        form_id = r.json()["form_id"]
        self.assertEqual(r.json()["status"], "held")
        path = f"/api/v1/forms/{form_id}/decision"
        for name, body, status, code in (
                ("empty", b"", 400, "malformed_json"),
                ("not json", b"count", 400, "malformed_json"),
                ("array", b"[]", 400, "malformed_json"),
                ("deep", b"[" * 30000, 400, "malformed_json"),
                ("empty object", b"{}", 422, "invalid_decision"),
                ("bad decision", b'{"decision":"COUNT","reason":"x"}', 422, "invalid_decision"),
                ("number decision", b'{"decision":1,"reason":"x"}', 422, "invalid_decision"),
                ("empty reason", b'{"decision":"count","reason":""}', 422, "invalid_decision"),
                ("long reason", b'{"decision":"count","reason":"' + b"r" * 2001 + b'"}', 422,
                 "invalid_decision"),
                ("null reason", b'{"decision":"count","reason":null}', 422, "invalid_decision"),
                ("unknown field", b'{"decision":"count","reason":"x","x":1}', 422,
                 "invalid_decision"),
                ("invalid UTF-8 key", b'{"decision":"count","reason":"x","\xff\xfe":1}', 422,
                 "invalid_decision"),
                ("long invalid key", b'{"decision":"count","reason":"x","' + "é".encode() * 60
                 + b'":1}', 422, "invalid_decision"),
                ("invalid UTF-8 reason", b'{"decision":"reject","reason":"bad \xff\xfe bytes"}',
                 422, "invalid_decision"),
                ("overlong UTF-8 reason", b'{"decision":"reject","reason":"\xc0\xaf"}', 422,
                 "invalid_decision"),
                ("surrogate reason", b'{"decision":"reject","reason":"\xed\xa0\x80"}', 422,
                 "invalid_decision")):
            with self.subTest(name):
                r = raw_once(server.port, http_request("POST", path, body, self.admin),
                             timeout=10)
                if r is not None and r.status == 200:
                    # accepted: then it must really be stored, as it says
                    stored = self.value(f"SELECT count(*) FROM decisions WHERE form_id = {form_id}")
                    self.fail(f"{name}: answered 200 (decisions stored for the form: {stored}): "
                              f"{r.body[:200]!r}")
                self.assert_json_error(r, status, code, name)
        # the writer is not stuck behind a poisoned batch
        form = self.new_form("dec-after")
        r = raw_once(server.port, http_request("POST", "/api/v1/forms", dumps(form), self.witness),
                     timeout=10)
        self.assertIsNotNone(r)
        self.assertEqual(r.status, 201,
                         f"a form after the bad decisions: {r!r}\n{server.log_tail()}")
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE id = {r.json()['form_id']}"),
                         "1")
        # a valid decision still works and is stored
        r = raw_once(server.port, http_request("POST", path, b'{"decision":"reject","reason":"ok"}',
                                               self.admin), timeout=10)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(
            self.value(f"SELECT count(*) FROM decisions WHERE form_id = {form_id}"), "1")
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {form_id}"), "rejected")
        self.assert_up(server, "decision bodies")


class ConnectionAbuseTest(HostileCase):
    def test_pipelined_requests(self):
        """Requests sent back to back on one connection are answered in order;
        the server may instead close the connection after an answer (RFC 9112
        9.3.2: the client then retries the rest), but it never stalls, for
        this client or anyone else."""
        server = self.start_server("--rate-per-minute", 0, "--idle-timeout", IDLE_TIMEOUT,
                                   ready=True)
        a, b = self.new_form("pipe"), self.new_form("pipe")
        post_a = http_request("POST", "/api/v1/forms", dumps(a), self.witness, close=False)
        post_b = http_request("POST", "/api/v1/forms", dumps(b), self.witness, close=False)
        healthz = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        bad = http_request("POST", "/api/v1/forms", b'{"x":1}', None, close=False)
        empty = http_request("POST", "/api/v1/forms", b"", None, close=False)
        for name, reqs, want in (
                ("GET x3", [healthz] * 3, [200, 200, 200]),
                ("POST + GET", [post_a, healthz], [201, 200]),
                ("POST + POST, no token", [bad, bad], [401, 401]),
                ("empty POST x2", [empty, empty], [401, 401]),
                ("POST + POST", [post_b, post_a], [201, 200]),
                ("POST x3 + GET", [post_b, post_b, post_a, healthz], [200, 200, 200, 200])):
            if not server.running:
                break
            with self.subTest(name):
                conn = RawConn(server.port, timeout=5)
                got = []
                try:
                    conn.send(b"".join(reqs))
                    for _ in want:
                        try:
                            r = conn.read_response()
                        except socket.timeout:
                            got.append("no answer and no close within 5s")
                            break
                        if r is None:
                            break  # closed by the server: the rest is retried below
                        got.append(r.status)
                finally:
                    conn.close()
                self.assert_up(server, f"pipelined {name} (answers {got})")
                self.assertTrue(got, f"{name}: not even the first request was answered")
                self.assertEqual(got, want[:len(got)], name)
                for req, status in zip(reqs[len(got):], want[len(got):]):
                    r = raw_once(server.port, req)
                    self.assertIsNotNone(r, f"{name}: a retry on a new connection")
                    self.assertEqual(r.status, status, f"{name}: a retry on a new connection")

    def test_slowloris(self):
        """200 connections trickling headers one byte a second: a normal client
        is served at once, and the slow ones are closed within --idle-timeout."""
        n = 200
        server = self.start_server("--rate-per-minute", 0, "--idle-timeout", IDLE_TIMEOUT,
                                   ready=True)
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 60
        socks = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(n)]
        start = time.monotonic()
        closed_at = {}
        stop = threading.Event()

        def trickle():
            for i in range(len(request)):
                for k, s in enumerate(socks):
                    if k not in closed_at:
                        try:
                            s.send(request[i:i + 1])
                        except OSError:
                            closed_at.setdefault(k, time.monotonic() - start)
                if stop.wait(1.0):
                    return

        sender = threading.Thread(target=trickle, daemon=True)
        sender.start()
        latencies = []
        limit = IDLE_TIMEOUT + 2.5
        try:
            while time.monotonic() - start < limit and len(closed_at) < n:
                t = time.monotonic()
                r = raw_once(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close"
                             b"\r\n\r\n", timeout=3)
                latencies.append(time.monotonic() - t)
                self.assertIsNotNone(r, "a normal client got no answer during the slowloris")
                self.assertEqual(r.status, 200)
                # find the slow connections the server has closed (EOF or reset)
                live = [k for k in range(n) if k not in closed_at]
                readable, _, _ = select.select([socks[k] for k in live], [], [], 0.25)
                for s in readable:
                    k = socks.index(s)
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if not data:
                        closed_at.setdefault(k, time.monotonic() - start)
        finally:
            stop.set()
            sender.join(5)
            for s in socks:
                s.close()
        self.assertLess(max(latencies), 1.0, f"normal client latencies {latencies}")
        still_open = n - len(closed_at)
        self.assertEqual(still_open, 0,
                         f"{still_open} of {n} slow connections still open {limit:.1f}s after they "
                         f"connected (--idle-timeout {IDLE_TIMEOUT}); closed at "
                         f"{sorted(set(round(v, 1) for v in closed_at.values()))}")
        self.assert_up(server, "slowloris")

    def test_idle_connections_are_closed(self):
        """A connection that sends nothing, or stops mid-headers or mid-body, is
        closed within --idle-timeout (plus a little slack)."""
        server = self.start_server("--rate-per-minute", 0, "--idle-timeout", IDLE_TIMEOUT,
                                   ready=True)
        cases = (("nothing", b""), ("half a request line", b"GET /hea"),
                 ("headers without end", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"),
                 ("half a body", b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\nContent-Length: 100"
                  b"\r\n\r\n{\"a"),
                 ("kept alive after an answer", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
        conns = []
        start = time.monotonic()
        for name, data in cases:
            c = RawConn(server.port)
            c.send(data)
            conns.append((name, c))
        try:
            for name, c in conns:
                left = IDLE_TIMEOUT + 2.0 - (time.monotonic() - start)
                self.assertTrue(c.wait_closed(max(left, 0.1)),
                                f"{name}: still open {IDLE_TIMEOUT + 2.0}s later "
                                f"(--idle-timeout {IDLE_TIMEOUT})")
        finally:
            for _, c in conns:
                c.close()
        self.assert_up(server, "idle connections")

    def test_vanishing_clients(self):
        """Clients that close mid-request or before their answer: the server
        stays up, and a form that was committed is answered 200 on retry."""
        server = self.start_server("--rate-per-minute", 0, ready=True)
        # half a body, then gone (FIN, and RST)
        for i in range(20):
            body = dumps(self.new_form("half"))
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(http_request("POST", "/api/v1/forms", body, self.witness)[:-len(body) // 2])
            if i % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        self.assert_up(server, "half bodies")
        # a full POST, then gone before the answer
        forms = [self.new_form("gone") for _ in range(30)]
        for i, form in enumerate(forms):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(http_request("POST", "/api/v1/forms", dumps(form), self.witness, close=False))
            if i % 3 == 1:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if i % 3 == 2:
                time.sleep(0.002)
            s.close()
        self.assert_up(server, "clients gone before their answer")
        time.sleep(0.5)
        for form in forms:
            sid = form["submission_id"]
            stored = self.rows(f"SELECT id FROM forms WHERE submission_id = '{sid}'")
            r = raw_once(server.port,
                         http_request("POST", "/api/v1/forms", dumps(form), self.witness))
            self.assertIsNotNone(r, sid)
            # committed before the retry: 200 with the same form; otherwise the
            # retry either waits for the vanished request's commit (200) or is
            # the first to arrive (201)
            self.assertIn(r.status, (200,) if stored else (200, 201), f"{sid}: {r!r}")
            rows = self.rows(f"SELECT id FROM forms WHERE submission_id = '{sid}'")
            self.assertEqual(len(rows), 1, sid)
            self.assertEqual(r.json()["form_id"], int(rows[0][0]), sid)
        self.assert_up(server, "retries")

    def test_rate_limit_flood(self):
        """--rate-per-minute: one token flooding new forms gets 429 with
        Retry-After beyond the limit; its retries of known forms and other
        tokens are not limited."""
        limit = 5
        flooder = self.make_token("witness", "62", "flooder")
        other = self.make_token("witness", "62", "bystander")
        server = self.start_server("--rate-per-minute", limit, ready=True)
        statuses = []
        first = self.new_form("rate")
        for i in range(40):
            form = first if i == 0 else self.new_form("rate")
            r = raw_once(server.port, http_request("POST", "/api/v1/forms", dumps(form), flooder))
            statuses.append(r.status)
            if r.status == 429:
                self.assert_json_error(r, 429, "rate_limited", "flood")
                self.assertTrue(r.headers.get("retry-after", "").isdigit(), r)
        self.assertEqual(statuses.count(201), limit, statuses)
        self.assertEqual(statuses.count(429), 40 - limit, statuses)
        r = raw_once(server.port, http_request("POST", "/api/v1/forms", dumps(first), flooder))
        self.assertEqual(r.status, 200, f"a retry of a known form was rate limited: {r!r}")
        r = raw_once(server.port, http_request("POST", "/api/v1/forms",
                                               dumps(self.new_form("rate")), other))
        self.assertEqual(r.status, 201, f"another token was limited: {r!r}")
        self.assert_up(server, "rate limit")

    def test_port_in_use(self):
        """A second server on a port in use exits 1 with a message: no crash
        and no sanitizer report."""
        server = self.start_server(ready=True)
        proc = harness.suara("serve", "--db", self.db.conninfo, "--listen",
                             f"127.0.0.1:{server.port}", timeout=30)
        out = proc.stdout + proc.stderr
        self.assertEqual(proc.returncode, 1, out)
        self.assertIn("listen", out)
        for mark in harness.SANITIZER_MARKS:
            self.assertNotIn(mark, out)
        self.assert_up(server, "a second server on the same port")


# --- WebSocket ---------------------------------------------------------------------

def ws_frame(opcode, payload, fin=True):
    """A masked client frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if n < 65536 else \
        (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")
         ).to_bytes(n, "big")
    return head + mask + masked


class WebSocketAbuseTest(HostileCase):
    MAX_SUBS = 16
    QUEUE = 8

    def start_live(self, queue=QUEUE):
        return self.start_server("--rate-per-minute", 0, "--max-subscriptions", self.MAX_SUBS,
                                 "--ws-queue-max", queue, "--idle-timeout", 20,
                                 "--tick-ms", 50, env=asan_small_quarantine(), ready=True)

    @staticmethod
    def recv_until(ws, predicate, timeout):
        """Reads text frames until predicate(msg) is true; returns that message,
        or None after timeout seconds (pings do not extend the wait)."""
        import websocket
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = ws.recv()
            except websocket.WebSocketTimeoutException:
                return None
            if not data:
                continue
            msg = json.loads(data)
            if predicate(msg):
                return msg
        return None

    def test_subscribe_flood(self):
        """Thousands of subscribe/unsubscribe messages a second from one client:
        /healthz stays prompt, subscriptions never exceed --max-subscriptions,
        memory stays bounded, and the connection still works afterwards."""
        server = self.start_live()
        pid = server.proc.pid
        regions = [r[0] for r in self.rows("SELECT code FROM regions WHERE level <> 'desa' "
                                           "ORDER BY code LIMIT 46")]
        ws = server.ws()
        received = [0]
        errors = {}
        snapshots = []

        def reader():
            try:
                while True:
                    data = ws.recv()
                    if data:
                        received[0] += 1
                        msg = json.loads(data)
                        if msg.get("type") == "error":
                            errors[msg.get("code")] = errors.get(msg.get("code"), 0) + 1
                        elif msg.get("type") == "snapshot":
                            snapshots.append(msg.get("region"))
            except Exception:
                pass

        threading.Thread(target=reader, daemon=True).start()
        rss_before = vm_rss_kb(pid)
        latencies = []
        subs_seen = []
        stop = threading.Event()

        def probe():
            while not stop.is_set():
                t = time.monotonic()
                r = raw_once(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: "
                             b"close\r\n\r\n", timeout=5)
                latencies.append(time.monotonic() - t if r is not None and r.status == 200
                                 else float("inf"))
                r = raw_once(server.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: "
                             b"close\r\n\r\n", timeout=5)
                m = re.search(rb"^suara_ws_subscriptions (\d+)", r.body if r else b"", re.M)
                if m:
                    subs_seen.append(int(m.group(1)))
                time.sleep(0.02)

        prober = threading.Thread(target=probe)
        prober.start()
        messages = []
        for region in regions:
            messages.append(json.dumps({"type": "subscribe", "contest": CONTEST, "region": region}))
        for region in regions[:len(regions) // 2]:
            messages.append(json.dumps({"type": "unsubscribe", "contest": CONTEST,
                                        "region": region}))
        messages += ['{"type":"subscribe"}', '[]', '{', '{"type":"nope"}',
                     '{"type":"subscribe","contest":"gub-62","region":"99"}']
        total = 12000
        try:
            t0 = time.monotonic()
            for i in range(total):
                ws.send(messages[i % len(messages)])
            elapsed = time.monotonic() - t0
        finally:
            stop.set()
            prober.join(10)
        rate = total / elapsed
        self.assertGreater(rate, 300, f"the flood was too slow to mean anything: {rate:.0f}/s")
        self.assertTrue(latencies and subs_seen, "the prober got nothing")
        self.assertLess(max(latencies), 1.0, f"/healthz latencies during the flood of "
                                             f"{rate:.0f} messages/s: max {max(latencies):.3f}s")
        self.assertLessEqual(max(subs_seen), self.MAX_SUBS)
        # the reader thread may still be working through the flood's answers
        harness.wait_until(lambda: "too_many_subscriptions" in errors, timeout=10,
                           message="a too_many_subscriptions error answering the flood")
        growth_mb = (vm_rss_kb(pid) - rss_before) / 1024
        self.assertLess(growth_mb, 48, f"RSS grew {growth_mb:.1f} MB during the flood")
        # the flooding connection itself still works
        for region in regions:  # back to no subscriptions, whatever the flood left
            ws.send(json.dumps({"type": "unsubscribe", "contest": CONTEST, "region": region}))
        time.sleep(0.5)  # let snapshots already on their way arrive first
        seen = len(snapshots)
        ws.send(json.dumps({"type": "subscribe", "contest": CONTEST, "region": "62.71"}))
        harness.wait_until(lambda: "62.71" in snapshots[seen:], timeout=5,
                           message="a snapshot on the flooding connection after the flood")
        ws.close()
        # a fresh connection on the same server works normally
        ws2 = server.ws()
        ws2.send(json.dumps({"type": "subscribe", "contest": CONTEST, "region": "62"}))
        snap = self.recv_until(ws2, lambda m: m.get("type") == "snapshot", 5)
        self.assertIsNotNone(snap, "no snapshot after the flood")
        self.assertEqual(snap["region"], "62")
        ws2.close()
        self.assert_up(server, "subscribe flood")

    def test_oversized_and_bad_frames(self):
        """A 1 MiB text frame gets an error (or a close), never a crash, and
        memory stays bounded over many of them; invalid UTF-8 and binary frames
        too."""
        import websocket
        server = self.start_live()
        pid = server.proc.pid
        ws = server.ws()
        ws.send("x" * (1 << 20))
        err = self.recv_until(ws, lambda m: m.get("type") == "error", 5)
        self.assertIsNotNone(err, "no answer to a 1 MiB frame")
        self.assertEqual(err.get("code"), "message_too_large", err)
        ws.send(json.dumps({"type": "subscribe", "contest": CONTEST, "region": "62"}))
        self.assertIsNotNone(self.recv_until(ws, lambda m: m.get("type") == "snapshot", 5),
                             "the connection is unusable after a 1 MiB frame")
        rss_before = vm_rss_kb(pid)
        for _ in range(20):
            ws.send("y" * (1 << 20))
        # a message fragmented into many small frames, over the limit in total
        ws.send_frame(websocket.ABNF.create_frame("z" * 100, websocket.ABNF.OPCODE_TEXT, fin=0))
        for _ in range(99):
            ws.send_frame(websocket.ABNF.create_frame("z" * 100, websocket.ABNF.OPCODE_CONT, fin=0))
        ws.send_frame(websocket.ABNF.create_frame("z", websocket.ABNF.OPCODE_CONT, fin=1))
        ws.send(json.dumps({"type": "subscribe", "contest": CONTEST, "region": "62.01"}))
        snap = self.recv_until(ws, lambda m: m.get("type") == "snapshot" and
                               m.get("region") == "62.01", 10)
        self.assertIsNotNone(snap, "no snapshot after oversized and fragmented messages")
        growth_mb = (vm_rss_kb(pid) - rss_before) / 1024
        self.assertLess(growth_mb, 32, f"RSS grew {growth_mb:.1f} MB over 21 MiB of frames")
        ws.close()
        self.assert_up(server, "oversized frames")

        # invalid UTF-8 in a text frame, a 1 MiB binary frame, a bad opcode, an
        # unmasked frame: each may close the connection, none may hurt the server
        for name, frame in (("invalid UTF-8", ws_frame(0x1, b'{"type":"\xff\xfe"}')),
                            ("binary 1 MiB", ws_frame(0x2, b"\x00" * (1 << 20))),
                            ("reserved opcode", ws_frame(0x3, b"hello")),
                            ("unmasked", b"\x81\x05hello"),
                            ("64-bit length lie",
                             b"\x81\xff" + struct.pack(">Q", 1 << 62) + b"abcd"),
                            ("ping 200 bytes", ws_frame(0x9, b"p" * 200))):
            with self.subTest(name):
                ws = server.ws()
                try:
                    ws.sock.sendall(frame)
                    ws.settimeout(3)
                    try:
                        ws.recv()
                    except Exception:
                        pass  # closed or nothing to say: both fine
                finally:
                    ws.close()
                self.assert_up(server, name)

    def test_many_connections_not_reading(self):
        """Viewers that subscribe and stop reading cost bounded memory while
        forms keep moving the tallies: their queues (--ws-queue-max) drop, the
        reading viewer is not held up, and a stalled viewer that reads again
        catches up with a fresh snapshot."""
        server = self.start_live(queue=2)  # a viewer may fall 2 ticks (100 ms) behind
        pid = server.proc.pid
        kabupaten = [r[0] for r in self.rows("SELECT code FROM regions WHERE level = 'kabupaten' "
                                             "ORDER BY code")]
        topics = ["62"] + kabupaten  # 15 <= --max-subscriptions
        stalled = []
        for _ in range(30):
            # a small window and segments: the server's socket buffer fills soon
            s = server.ws(sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 2048),
                                   (socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)))
            for region in topics:
                s.send(json.dumps({"type": "subscribe", "contest": CONTEST, "region": region}))
            stalled.append(s)
        watcher = server.ws()
        watcher.send(json.dumps({"type": "subscribe", "contest": CONTEST, "region": "62"}))
        snap = self.recv_until(watcher, lambda m: m.get("type") == "snapshot", 5)
        self.assertIsNotNone(snap)
        rss_before = vm_rss_kb(pid)
        forms = [self.new_form("viewer", region=kabupaten[i % len(kabupaten)] + ".")
                 for i in range(140)]
        statuses = []

        def submit(chunk):  # spread over more than a second: many ticks of updates
            for form in chunk:
                r = raw_once(server.port, http_request("POST", "/api/v1/forms", dumps(form),
                                                       self.witness))
                statuses.append(r.status if r else None)
                time.sleep(0.01)

        threads = [threading.Thread(target=submit, args=(forms[i::2],)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(statuses, [201] * len(forms))
        status, _, ready = server.get("/readyz")
        final_seq = ready["seq"]
        update = self.recv_until(watcher, lambda m: m.get("seq", 0) >= final_seq, 5)
        self.assertIsNotNone(update, "the reading viewer did not see the last change")
        growth_mb = (vm_rss_kb(pid) - rss_before) / 1024
        self.assertLess(growth_mb, 32, f"RSS grew {growth_mb:.1f} MB with 30 stalled viewers")
        _, _, metrics = server.get("/metrics")
        dropped = int(re.search(r"^suara_ws_updates_dropped_total (\d+)", metrics, re.M).group(1))
        self.assertGreater(dropped, 0, "no queue ever reached --ws-queue-max")
        # a stalled viewer reads again: it ends up with the current province node
        late = stalled.pop()
        caught_up = self.recv_until(late, lambda m: m.get("region") == "62" and
                                    m.get("seq", 0) >= final_seq, 10)
        self.assertIsNotNone(caught_up, "a stalled viewer never caught up after reading again")
        self.assertEqual(caught_up["tps"]["counted"], update["tps"]["counted"])
        late.close()
        for s in stalled:
            s.close()
        watcher.close()
        self.assert_up(server, "stalled viewers")

if __name__ == "__main__":
    harness.main()
