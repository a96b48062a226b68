"""What a hostile night found, each pinned by the one answer the server now gives:
strict request framing (no smuggling behind a proxy), security headers on every
answer, /metrics and /readyz under --private-reads and --metrics-listen,
duplicate keys in a decision, a revoked token's live connection, and the paged
TPS history with its bounds.

Every server is stopped with SIGTERM at the end of its test, and the harness
asserts a clean exit (status 0, no sanitizer report).
"""

import json
import socket
import time

import harness
from test_hostile import HostileCase, RawConn, form_for, http_request, raw_once

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
DOCUMENT_HEADERS = {  # the web client's pages
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
API_HEADERS = {  # JSON and text answers: nothing may run or frame them
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
ASSET_HEADERS = {  # scripts, styles, images: a policy has no effect on them
    "content-security-policy": None,
    "x-frame-options": None,
    "x-content-type-options": "nosniff",
    "referrer-policy": None,
}


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


class FramingTest(HostileCase):
    """A request whose length two parsers could read differently is answered
    400 bad_framing and the connection closed: what follows on it is never
    run as a request of its own."""

    def smuggle(self, server, head_lines, body):
        """Sends a POST with the given framing headers, whose body hides an
        authenticated second request; returns every response read before the
        server closed the connection."""
        hidden = http_request("GET", "/api/v1/review", b"", self.admin, None, close=False)
        payload = body + hidden
        head = (b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\n"
                b"Authorization: Bearer " + self.witness.encode() + b"\r\n"
                b"Content-Type: application/json\r\n" + b"".join(h + b"\r\n" for h in head_lines))
        conn = RawConn(server.port, timeout=10)
        try:
            conn.send(head + b"\r\n" + payload)
            responses = []
            while True:
                r = conn.read_response()
                if r is None:
                    break
                responses.append(r)
            return responses
        finally:
            conn.close()

    def test_ambiguous_framing_is_refused_and_closed(self):
        server = self.start_server("--rate-per-minute", 0, ready=True)
        code, dpt = self.take_tps()
        body = dumps(form_for(f"frame-{code}", code, dpt))
        n = str(len(body)).encode()
        cases = [
            ("Content-Length with Transfer-Encoding",
             [b"Content-Length: " + n, b"Transfer-Encoding: chunked"],
             "Transfer-Encoding and Content-Length together"),
            ("Transfer-Encoding before Content-Length",
             [b"Transfer-Encoding: chunked", b"Content-Length: " + n],
             "Transfer-Encoding and Content-Length together"),
            ("two Content-Length headers", [b"Content-Length: " + n, b"Content-Length: 0"],
             "more than one Content-Length"),
            ("two equal Content-Length headers", [b"Content-Length: " + n, b"Content-Length: " + n],
             "more than one Content-Length"),
            ("digits then letters", [b"Content-Length: " + n + b"abc"],
             "Content-Length is not a plain number"),
            ("a sign", [b"Content-Length: +" + n], "Content-Length is not a plain number"),
            ("hexadecimal", [b"Content-Length: 0x10"], "Content-Length is not a plain number"),
            ("a list", [b"Content-Length: " + n + b", " + n], "Content-Length is not a plain number"),
        ]
        for name, lines, message in cases:
            with self.subTest(name):
                responses = self.smuggle(server, lines, body)
                self.assertEqual(len(responses), 1, f"{name}: {responses!r}")
                err = self.assert_json_error(responses[0], 400, "bad_framing", name)
                self.assertEqual(err["message"], message)
                self.assertEqual(responses[0].headers.get("connection"), "close", name)
        # nothing of those bodies was stored as a form
        self.assertEqual(self.psql(f"SELECT count(*) FROM forms WHERE submission_id = "
                                   f"'{json.loads(body)['submission_id']}'"), "0")
        # a GET is held to the same rule
        r = raw_once(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                                  b"Content-Length: 5\r\n\r\n")
        self.assert_json_error(r, 400, "bad_framing", "GET with two Content-Length")
        # and sound framing still works, on a kept-alive connection
        conn = RawConn(server.port, timeout=10)
        try:
            conn.send(http_request("POST", "/api/v1/forms", body, self.witness, close=False))
            r = conn.read_response()
            self.assertEqual(r.status, 201, r)
            conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(conn.read_response().status, 200)
        finally:
            conn.close()
        self.assert_up(server, "framing")


class SecurityHeadersTest(HostileCase):
    def assert_security_headers(self, headers, want, what):
        for name, value in want.items():
            self.assertEqual(headers.get(name), value, f"{what}: {name} in {headers}")

    def test_every_answer_carries_them(self):
        server = self.start_server(ready=True)
        for name, req, want in (
                ("JSON read", http_request("GET", "/api/v1/contests", content_type=None),
                 API_HEADERS),
                ("JSON error", http_request("GET", "/api/v1/nothing", content_type=None),
                 API_HEADERS),
                ("401", http_request("GET", "/api/v1/review", content_type=None), API_HEADERS),
                ("index.html", http_request("GET", "/", content_type=None), DOCUMENT_HEADERS),
                ("a view of the client", http_request("GET", "/saksi", content_type=None),
                 DOCUMENT_HEADERS),
                ("a script", http_request("GET", "/js/app.js", content_type=None), ASSET_HEADERS),
                ("a stylesheet", http_request("GET", "/css/app.css", content_type=None),
                 ASSET_HEADERS),
                ("a missing file", http_request("GET", "/js/nothing.js", content_type=None),
                 API_HEADERS),
                ("healthz", http_request("GET", "/healthz", content_type=None), API_HEADERS),
                ("metrics", http_request("GET", "/metrics", content_type=None), API_HEADERS)):
            with self.subTest(name):
                r = raw_once(server.port, req)
                self.assertIsNotNone(r, name)
                self.assertLess(r.status, 500, name)
                self.assert_security_headers(r.headers, want, name)
        r = raw_once(server.port, http_request("HEAD", "/", content_type=None), head=True)
        self.assertEqual(r.status, 200)
        self.assert_security_headers(r.headers, DOCUMENT_HEADERS, "HEAD /")
        # a refused WebSocket upgrade is an answer too
        r = raw_once(server.port, b"GET /api/v1/elsewhere HTTP/1.1\r\nHost: x\r\n"
                                  b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                  b"Sec-WebSocket-Version: 13\r\n\r\n")
        self.assertEqual(r.status, 404, r)
        self.assert_security_headers(r.headers, API_HEADERS, "refused upgrade")


class MetricsAndReadyTest(HostileCase):
    def test_private_reads_hide_progress(self):
        """Under --private-reads, /metrics is a read like any other (a token),
        and /readyz says its status and nothing else."""
        server = self.start_server("--private-reads", ready=True)
        r = raw_once(server.port, http_request("GET", "/metrics", content_type=None))
        self.assert_json_error(r, 401, "missing_token", "/metrics without a token")
        r = raw_once(server.port, http_request("GET", "/metrics", token=self.witness,
                                               content_type=None))
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"suara_forms_total", r.body)
        r = raw_once(server.port, http_request("GET", "/readyz", content_type=None))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"status": "ready"})

    def test_public_readyz_keeps_its_numbers(self):
        server = self.start_server(ready=True)
        status, _, body = server.get("/readyz")
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"status", "forms", "seq"})

    def test_metrics_listen_serves_metrics_alone(self):
        port = harness.free_port()
        server = self.start_server("--metrics-listen", f"127.0.0.1:{port}", ready=True)
        r = raw_once(server.port, http_request("GET", "/metrics", content_type=None))
        self.assert_json_error(r, 404, "not_found", "/metrics on --listen")
        r = raw_once(port, http_request("GET", "/metrics", content_type=None))
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"suara_forms_total", r.body)
        self.assertIn("text/plain", r.headers["content-type"])
        for path in ("/healthz", "/api/v1/contests", "/", "/api/v1/live"):
            with self.subTest(path):
                r = raw_once(port, http_request("GET", path, content_type=None))
                self.assert_json_error(r, 404, "not_found", f"{path} on --metrics-listen")
        r = raw_once(port, b"GET /api/v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           b"Sec-WebSocket-Version: 13\r\n\r\n")
        self.assertEqual(r.status, 404, r)
        status, _, body = server.get("/api/v1/contests")
        self.assertEqual(status, 200, body)

    def test_metrics_listen_is_validated(self):
        proc = harness.suara("serve", "--db", self.db.conninfo, "--metrics-listen", "nowhere")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("--metrics-listen: expected HOST:PORT, got 'nowhere'", proc.stderr)


class DecisionKeysTest(HostileCase):
    def test_duplicate_keys_are_refused(self):
        server = self.start_server("--rate-per-minute", 0, ready=True)
        reviewer = self.db.make_token("reviewer", "62", "dup reviewer")
        server.wait_for_token(reviewer)
        status, _, receipt = server.post("/api/v1/forms", self.new_form("dup", held=True),
                                         token=self.witness)
        self.assertEqual(status, 201, receipt)
        self.assertEqual(receipt["status"], "held")
        path = f"/api/v1/forms/{receipt['form_id']}/decision"
        for name, raw, field in (
                ("decision twice", b'{"decision":"count","reason":"seen","decision":"reject"}',
                 "decision"),
                ("reason twice", b'{"decision":"reject","reason":"a","reason":"b"}', "reason"),
                ("escaped duplicate",
                 b'{"decision":"count","reason":"seen","decisio\\u006e":"reject"}', "decision")):
            with self.subTest(name):
                r = raw_once(server.port, http_request("POST", path, raw, reviewer))
                err = self.assert_json_error(r, 422, "invalid_decision", name)
                self.assertEqual(err["details"], [{"field": field, "code": "duplicate_key"}])
        status, _, form = server.get(f"/api/v1/forms/{receipt['form_id']}")
        self.assertEqual(status, 200, form)
        self.assertEqual(form["status"], "held")
        self.assertEqual(self.psql("SELECT count(*) FROM decisions WHERE form_id = "
                                   f"{receipt['form_id']}"), "0")
        # the other small JSON bodies are held to the same rule (net/body.c)
        admin = self.db.make_token("admin", "62", "dup admin")
        server.wait_for_token(admin)
        for name, path, raw, token, code, field in (
                ("review request", f"/api/v1/forms/{receipt['form_id']}/request",
                 b'{"kind":"photo","note":"a","note":"b"}', reviewer, "invalid_request", "note"),
                ("finalisation", "/api/v1/contests/gub-62/finalize",
                 b'{"region":"62.01","reason":"pleno","region":"62"}', admin, "invalid_finalize",
                 "region")):
            with self.subTest(name):
                r = raw_once(server.port, http_request("POST", path, raw, token))
                err = self.assert_json_error(r, 422, code, name)
                self.assertEqual(err["details"], [{"field": field, "code": "duplicate_key"}])
        self.assertEqual(self.psql("SELECT count(*) FROM review_requests"), "0")
        self.assertEqual(self.psql("SELECT count(*) FROM finals"), "0")



class RevokedLiveTest(HostileCase):
    def test_revoking_a_token_closes_its_live_connections(self):
        """Under --private-reads a token is what lets a viewer onto the live
        feed: revoking it closes that viewer's connections (close code 1008),
        while a viewer with another token keeps receiving updates."""
        import websocket
        server = self.start_server("--private-reads", "--rate-per-minute", 0, ready=True)
        doomed = self.db.make_token("monitor", "62", "to be revoked")
        kept = self.db.make_token("monitor", "62", "kept")
        server.wait_for_token(kept)
        server.wait_for_token(doomed)
        viewers = {}
        for name, token in (("doomed", doomed), ("kept", kept)):
            ws = server.ws(f"/api/v1/live?token={token}")
            ws.send(json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62"}))
            self.assertEqual(harness.ws_recv_json(ws, 10)["type"], "snapshot")
            viewers[name] = ws
        token_id = self.db.value("SELECT id FROM tokens WHERE name = 'to be revoked'")
        revoke = harness.suara("token", "revoke", "--db", self.db.conninfo, token_id)
        self.assertEqual(revoke.returncode, 0, revoke.stderr)
        harness.wait_until(lambda: server.get("/api/v1/contests", token=doomed)[0] == 401,
                           timeout=15, message="the server to drop the revoked token")
        ws = viewers["doomed"]
        ws.settimeout(10)
        opcode, data = ws.recv_data(control_frame=True)
        self.assertEqual(opcode, websocket.ABNF.OPCODE_CLOSE)
        self.assertEqual(int.from_bytes(data[:2], "big"), 1008)
        self.assertEqual(data[2:], b"token revoked")
        # the other viewer still gets the news
        code, dpt = self.take_tps()
        status, _, receipt = server.post("/api/v1/forms", form_for(f"rv-{code}", code, dpt),
                                         token=self.witness)
        self.assertEqual(status, 201, receipt)
        msg = harness.ws_recv_json(viewers["kept"], 10)
        self.assertEqual(msg["type"], "update")
        viewers["kept"].close()
        # and the revoked token cannot come back
        with self.assertRaises(websocket.WebSocketBadStatusException) as cm:
            server.ws(f"/api/v1/live?token={doomed}")
        self.assertEqual(cm.exception.status_code, 401)



class TpsHistoryTest(HostileCase):
    """One token can no longer turn its TPS into an amplifier: the TPS answer
    lists the counted form, the pending ones and the newest 20, with the
    total and a cursor to older pages; a token stores at most --forms-per-tps
    forms per TPS and contest; and no buffered reply exceeds --max-reply."""

    def test_history_is_paged_and_bounded(self):
        server = self.start_server("--rate-per-minute", 0, "--forms-per-tps", 30, ready=True)
        code, dpt = self.take_tps("62.13")  # a kabupaten no other test here writes to
        a = self.db.make_token("witness", code, "history a")
        b = self.db.make_token("witness", code, "history b")
        server.wait_for_token(b)
        status, _, held = server.post("/api/v1/forms", form_for(f"hb-{code}", code, dpt, held=True),
                                      token=b)
        self.assertEqual((status, held["status"]), (201, "held"), held)
        for i in range(30):
            form = form_for(f"ha{i}-{code}", code, dpt)  # corrections by the same witness
            status, _, r = server.post("/api/v1/forms", form, token=a)
            self.assertEqual(status, 201, r)
        status, _, r = server.post("/api/v1/forms", form_for(f"ha-over-{code}", code, dpt), token=a)
        self.assertEqual(status, 429, r)
        self.assertEqual(r["error"]["code"], "too_many_forms")
        self.assertEqual(self.psql(f"SELECT count(*) FROM forms WHERE tps = '{code}'"), "31")

        status, _, tps = server.get(f"/api/v1/tps/{code}")
        self.assertEqual(status, 200, tps)
        gub = next(c for c in tps["contests"] if c["contest"] == "gub-62")
        revisions = [f["revision"] for f in gub["history"]]
        # b's held form (revision 1), then a's newest 20 (12..31), the counted one among them
        self.assertEqual(revisions, [1] + list(range(12, 32)))
        self.assertEqual(gub["history_total"], 31)
        self.assertEqual(gub["history_before"], 12)
        self.assertEqual(gub["counted"]["revision"], 31)

        status, _, page = server.get(f"/api/v1/tps/{code}?contest=gub-62&before=12")
        self.assertEqual(status, 200, page)
        self.assertEqual([c["contest"] for c in page["contests"]], ["gub-62"])
        self.assertEqual([f["revision"] for f in page["contests"][0]["history"]],
                         list(range(1, 12))[-20:])
        self.assertIsNone(page["contests"][0]["history_before"])
        status, _, page = server.get(f"/api/v1/tps/{code}?contest=gub-62&before=3")
        self.assertEqual([f["revision"] for f in page["contests"][0]["history"]], [1, 2])

        for query, want, err in (("contest=gub-62", 400, "bad_before"),
                                 ("before=5", 400, "bad_before"),
                                 ("contest=gub-62&before=0", 400, "bad_before"),
                                 ("contest=gub-62&before=x1", 400, "bad_before"),
                                 ("contest=gub-62&before=-3", 400, "bad_before"),
                                 ("contest=nope-1&before=5", 404, "not_found")):
            with self.subTest(query):
                status, _, body = server.get(f"/api/v1/tps/{code}?{query}")
                self.assertEqual((status, body["error"]["code"]), (want, err), body)

    def test_buffered_replies_have_a_ceiling(self):
        server = self.start_server("--max-reply", 65536, ready=True)
        status, _, body = server.get("/api/v1/export/gub-62.csv?level=tps")
        self.assertEqual(status, 500, body)
        self.assertEqual(body["error"]["code"], "reply_too_large")
        status, _, body = server.get("/api/v1/export/gub-62.csv?level=kabupaten")
        self.assertEqual(status, 200, body)



def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def read_server_frame(sock):
    """One frame from the server: (opcode, payload). Server frames are never
    masked."""
    b0, b1 = read_exactly(sock, 2)
    if b1 & 0x80:
        raise AssertionError("the server masked a frame")
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(read_exactly(sock, 2), "big")
    elif n == 127:
        n = int.from_bytes(read_exactly(sock, 8), "big")
    return b0 & 0x0F, read_exactly(sock, n)


class WireTest(HostileCase):
    """What libwebsockets 4.1.6 lets through on the wire gets the answer the
    RFCs ask for: a head too large for lws's header table a JSON 431 (414 for
    the request line) instead of a silent close, and an unmasked client frame
    a close frame with status 1002 instead of being read."""

    def test_oversized_heads_are_answered(self):
        server = self.start_server(ready=True)
        many_lines = b"".join(b"X-Line-%d: v\r\n" % i for i in range(80))
        many_args = b"&".join(b"a%d" % i for i in range(100))
        cases = [
            ("one long header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 5000 +
             b"\r\n\r\n", 431, "headers_too_large"),
            ("many header lines", b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many_lines + b"\r\n",
             431, "headers_too_large"),
            ("a long query string", b"GET /api/v1/contests?q=" + b"q" * 5000 +
             b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
            ("many query arguments", b"GET /api/v1/contests?" + many_args +
             b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        ]
        for name, raw, status, code in cases:
            with self.subTest(name):
                r = raw_once(server.port, raw, timeout=10)
                self.assert_json_error(r, status, code, name)
                self.assertEqual(r.headers.get("connection"), "close", name)
        # a head just under the limit is served as before
        near = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 3900 + b"\r\n\r\n"
        self.assertEqual(raw_once(server.port, near, timeout=10).status, 200)
        # the second request of a kept-alive connection is followed too, past a body
        conn = RawConn(server.port, timeout=10)
        try:
            conn.send(b"POST /api/v1/forms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      b"\r\nContent-Length: 2\r\n\r\n{}")
            self.assertEqual(conn.read_response().status, 401)
            conn.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many_lines + b"\r\n")
            self.assert_json_error(conn.read_response(), 431, "headers_too_large", "second")
            self.assertIsNone(conn.read_response(), "the connection stays open after a 431")
        finally:
            conn.close()
        self.assert_up(server, "oversized heads")

    def upgrade(self, server):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"GET /api/v1/live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     b"Sec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += read_exactly(sock, 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 101"), head)
        return sock

    def test_unmasked_frames_are_closed_with_1002(self):
        from test_hostile import ws_frame
        server = self.start_server(ready=True)
        for name, first in (("alone", b""), ("after a masked frame", ws_frame(0x1, b"{}"))):
            with self.subTest(name):
                sock = self.upgrade(server)
                try:
                    if first:  # a masked frame is read and answered as always
                        sock.sendall(first)
                        opcode, payload = read_server_frame(sock)
                        self.assertEqual(opcode, 0x1)
                        self.assertEqual(json.loads(payload)["type"], "error")
                    sock.sendall(b"\x81\x05hello")  # unmasked: RFC 6455 5.1
                    opcode, payload = read_server_frame(sock)
                    self.assertEqual(opcode, 0x8, payload)
                    self.assertEqual(int.from_bytes(payload[:2], "big"), 1002, payload)
                    self.assertEqual(payload[2:], b"frame not masked")
                    self.assertEqual(sock.recv(16), b"", "the connection stays open")
                finally:
                    sock.close()
        self.assert_up(server, "unmasked frames")


if __name__ == "__main__":
    harness.main()
