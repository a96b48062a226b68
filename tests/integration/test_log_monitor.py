"""`suara log monitor`: it accepts honest growth (across restarts too) and
fails, with one line saying why and its state left as it was, on a rewritten
receipt, a deleted newest form, a wrong or changed key, a bad signature, a
receipt that is not in the tree and a server it cannot reach; on a changed
status and a changed decision (the server refusing to serve them, or serving
a rewritten history) and on a false answer about a form's status (--status);
over https it checks the server's certificate and name."""

import hashlib
import http.client
import http.server
import json
import os
import ssl
import threading
import urllib.error
import urllib.request
import uuid

import harness
import logcheck
import test_tls

SERVE = ("--rate-per-minute", "0", "--sth-ms", "50")


class MonitorFixture(harness.SuaraTestCase):
    def keygen(self, name):
        path = os.path.join(harness.tmpdir(), f"{name}-{uuid.uuid4().hex[:6]}.key")
        made = self.suara("log", "keygen", path)
        self.assertEqual(made.returncode, 0, made.stderr)
        return path, made.stdout.strip()

    def post(self, server, token, n):
        out = []
        for tps, dpt in self.fresh_tps(n):
            status, _, body = server.post(
                "/api/v1/forms", harness.build_form(str(uuid.uuid4()), tps, dpt), token=token)
            self.assertEqual(status, 201, body)
            out.append(body)
        return out

    def wait_head(self, server, size):
        def grown():
            status, _, head = server.get("/api/v1/log/sth")
            return head if status == 200 and head["tree_size"] == size else None
        return harness.wait_until(grown, timeout=30, message=f"a head of {size} leaves")

    def monitor(self, url, state, *args):
        return self.suara("log", "monitor", url, "--state", state, "--timeout-s", "5", *args)

    def assertFails(self, proc, reason):
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("FAIL: ", proc.stderr)
        self.assertIn(reason, proc.stderr)
        self.assertEqual(proc.stdout, "")

    def restart(self, server):
        server.stop()
        server.start(ready=True)


class MonitorTest(MonitorFixture):
    def test_honest_growth_then_every_kind_of_rewrite(self):
        key_path, public = self.keygen("log")
        server = self.start_server("--log-key", key_path, *SERVE, ready=True)
        token = self.make_token("witness", "62", server=server)
        state = os.path.join(harness.tmpdir(), "monitor.state")

        first = self.post(server, token, 5)
        self.wait_head(server, 5)
        unpinned = self.monitor(server.url, state)
        self.assertEqual(unpinned.returncode, 2)
        self.assertIn("needs --key", unpinned.stderr)
        ok = self.monitor(server.url, state, "--key", public)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertRegex(ok.stdout, r"^ok: tree_size=5 root_hash=[0-9a-f]{64} timestamp=\S+ "
                                    r"\(first head, key pinned\)\n$")

        # Honest growth, with two witnesses' receipts checked for inclusion.
        later = self.post(server, token, 4)
        self.wait_head(server, 9)
        forms = [f"{r['form_id']}:{r['receipt']}" for r in (first[1], later[3])]
        ok = self.monitor(server.url, state, "--form", forms[0], "--form", forms[1])
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("tree_size=9 ", ok.stdout)
        self.assertIn("(4 new entries since ", ok.stdout)
        self.assertIn("; 2 forms included", ok.stdout)
        # The same head again: nothing new, still fine; and across a restart.
        self.restart(server)
        self.wait_head(server, 9)
        ok = self.monitor(server.url, state)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("(0 new entries since ", ok.stdout)
        with open(state) as f:
            good_state = f.read()

        # A receipt that is not the stored one: not included.
        forged = "ab" * 32
        self.assertFails(self.monitor(server.url, state, "--form", f"{first[0]['form_id']}:{forged}"),
                         f"form {first[0]['form_id']}: its receipt is not in the signed tree")

        # A form and its receipt rewritten in the database: the history forks.
        victim = first[2]["form_id"]
        self.restart_with(server, f"UPDATE forms SET valid = valid + 1, receipt = "
                                  f"'{forged}' WHERE id = {victim}")
        self.wait_head(server, 9)
        self.assertFails(self.monitor(server.url, state), "fork: tree size 9 had root")
        with open(state) as f:
            self.assertEqual(f.read(), good_state)
        self.restart_with(server, f"UPDATE forms SET valid = valid - 1, receipt = "
                                  f"'{first[2]['receipt']}' WHERE id = {victim}")
        self.wait_head(server, 9)
        self.assertEqual(self.monitor(server.url, state).returncode, 0)

        # An older form rewritten while the log grew: caught by the consistency proof.
        self.restart_with(server, f"UPDATE forms SET receipt = '{forged}' WHERE id = {victim}")
        self.post(server, token, 1)
        self.wait_head(server, 10)
        self.assertFails(self.monitor(server.url, state),
                         "fork: the head of size 10 does not extend the head of size 9")
        self.restart_with(server, f"UPDATE forms SET receipt = '{first[2]['receipt']}' "
                                  f"WHERE id = {victim}")
        self.wait_head(server, 10)
        self.assertEqual(self.monitor(server.url, state).returncode, 0)

        # The newest form deleted behind the server's back: the tree shrank.
        newest = self.value("SELECT max(id) FROM forms")
        self.psql(f"CREATE TABLE kept AS SELECT * FROM forms WHERE id = {newest}")
        self.restart_with(server, f"DELETE FROM forms WHERE id = {newest}")
        self.wait_head(server, 9)
        self.assertFails(self.monitor(server.url, state), "the tree shrank from 10 to 9 leaves")
        self.restart_with(server, "INSERT INTO forms SELECT * FROM kept; DROP TABLE kept")
        self.wait_head(server, 10)
        self.assertEqual(self.monitor(server.url, state).returncode, 0)

        # Keys: a monitor pinned to another key, a changed --key, a server
        # restarted with another key.
        _, other = self.keygen("other")
        fresh = os.path.join(harness.tmpdir(), "fresh.state")
        self.assertFails(self.monitor(server.url, fresh, "--key", other),
                         f"the head is signed with key {public}, not the pinned key {other}")
        self.assertFalse(os.path.exists(fresh))
        self.assertFails(self.monitor(server.url, state, "--key", other),
                         "--key differs from the key pinned in")
        other_path, other_public = self.keygen("rotated")
        server.stop()
        server.args = ["--log-key", other_path, *SERVE]
        server.start(ready=True)
        self.assertFails(self.monitor(server.url, state),
                         f"the head is signed with key {other_public}, not the pinned key "
                         f"{public}")

        # A head whose signature does not cover its content.
        status, _, head = server.get("/api/v1/log/sth")
        self.assertEqual(status, 200)
        tampered = dict(head, timestamp="2024-11-27T06:00:00.000Z")
        fake = FakeLog(tampered)
        self.addCleanup(fake.close)
        self.assertFails(self.monitor(fake.url, fresh, "--key", other_public),
                         f"bad signature on the head of tree size {head['tree_size']}")

        # Nobody there.
        server.stop()
        self.assertFails(self.monitor(server.url, state), "cannot be reached")

    def restart_with(self, server, sql):
        server.stop()
        self.psql(sql)
        server.start(ready=True)


class StatusMonitorTest(MonitorFixture):
    """What the monitor says of a form's status and of a decision: the
    status changes the server reports (--status) hashed and proven here, a
    lying answer refused, and a status or a decision changed in the database
    named exactly, whether the server refuses to serve (its reason) or serves
    the rewritten history (a fork)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = harness.Database("log_monitor_status", migrate=True, seed=True)  # its own tree

    def assertFailsWith(self, proc, reason):
        """Exit 1 and exactly one line: the FAIL and its reason."""
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr),
                         (1, "", f"suara log monitor: FAIL: {reason}\n"))

    def restart_with(self, server, sql, ready=True):
        server.stop()
        self.psql(sql)
        server.start(ready=ready)

    def refused(self, server, reason):
        def says():
            status, _, body = server.get("/readyz")
            return status == 503 and reason in body.get("reason", "")
        harness.wait_until(says, timeout=30, message="the server to refuse the history")

    def test_status_changes_and_decisions(self):
        key_path, public = self.keygen("status")
        server = self.start_server("--log-key", key_path, *SERVE, ready=True)
        a = self.make_token("witness", "62", server=server)
        b = self.make_token("witness", "62", server=server)
        reviewer = self.make_token("reviewer", "62", server=server)
        (t1, d1), (t2, d2) = self.fresh_tps(2)

        def post(body, token, want):
            status, _, r = server.post("/api/v1/forms", body, token=token)
            self.assertEqual((status, r["status"]), (201, want), r)
            return r["form_id"]

        # Two witnesses disagree, a reviewer counts the second: leaves
        # first, other, the decision, first superseded, other counted.
        first = post(harness.build_form(str(uuid.uuid4()), t1, d1), a, "counted")
        other = post(harness.build_form(str(uuid.uuid4()), t1, d1, shift=1), b, "disputed")
        status, _, r = server.post(f"/api/v1/forms/{other}/decision",
                                   {"decision": "count", "reason": "count: sesuai plano"},
                                   token=reviewer)
        self.assertEqual(status, 200, r)
        self.wait_head(server, 5)
        state = os.path.join(harness.tmpdir(), "status.state")
        ok = self.monitor(server.url, state, "--key", public, "--status", str(first),
                          "--status", str(other))
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertTrue(ok.stdout.endswith(f"(first head, key pinned); statuses: {first} superseded, "
                                           f"{other} counted\n"), ok.stdout)

        # A server lying about a status: the text no longer hashes to the
        # receipt; with a receipt made to match, it is not in the tree.
        def claim_counted(body, rehash):
            for c in body["changes"]:
                c["status"] = "counted"
                if rehash:
                    c["receipt"] = hashlib.sha256(logcheck.status_text(
                        c["prev"], c["seq"], body["form_id"], "counted")).hexdigest()
            return body
        for rehash, reason in (
                (False, f"form {first}: the status change to counted at leaf 3 does not hash to "
                        "its receipt (the answer is false)"),
                (True, f"form {first}: its status change to counted at leaf 3 is not in the signed "
                       "tree of size 5 (the answer is false, or the history was rewritten)")):
            liar = LyingProxy(server.url, "/api/v1/log/proof/status",
                              lambda body, rehash=rehash: claim_counted(body, rehash))
            self.addCleanup(liar.close)
            self.assertFailsWith(self.monitor(liar.url, state, "--status", str(first)), reason)

        # Which form counts, changed in the database: the server refuses to
        # serve, and the monitor says where the history breaks.
        self.restart_with(server, f"UPDATE forms SET status = 'counted' WHERE id = {first}; "
                                  f"UPDATE forms SET status = 'superseded' WHERE id = {other}",
                          ready=False)
        broken = (f"the stored history does not verify: form {first}: stored status counted, but "
                  "replaying the log gives superseded (a status or a decision was changed outside "
                  "the server)")
        self.refused(server, broken)
        self.assertFailsWith(self.monitor(server.url, state, "--status", str(first)),
                             f"the signed tree head: the server answered 503 not_ready: {broken}")
        self.restart_with(server, f"UPDATE forms SET status = 'superseded' WHERE id = {first}; "
                                  f"UPDATE forms SET status = 'counted' WHERE id = {other}")
        self.wait_head(server, 5)
        self.assertEqual(self.monitor(server.url, state, "--status", str(first)).returncode, 0)
        with open(state) as f:
            good_state = f.read()
        seen = dict(line.split("=", 1) for line in good_state.splitlines()[1:])

        # The decision turned into a rejection, statuses made to match: the
        # server rechecks the decision's receipt and refuses ...
        decision = self.value(f"SELECT id FROM decisions WHERE form_id = {other}")
        self.restart_with(server, f"UPDATE decisions SET decision = 'reject' WHERE id = {decision}; "
                                  f"UPDATE forms SET status = 'rejected' WHERE id = {other}; "
                                  f"UPDATE forms SET status = 'counted' WHERE id = {first}",
                          ready=False)
        broken = (f"the stored history does not verify: decision {decision}: its receipt does not "
                  f"match its content (on form {other}; it was changed outside the server)")
        self.refused(server, broken)
        self.assertFailsWith(self.monitor(server.url, state),
                             f"the signed tree head: the server answered 503 not_ready: {broken}")
        # ... and with a receipt made for it, the server serves a history of
        # other status leaves: one more form makes it as long as the head
        # seen, with another root.
        row = [r for k, r in logcheck.entries(self.db) if k == "decision"][0]
        other_receipt = self.value(f"SELECT receipt FROM forms WHERE id = {other}")
        forged = hashlib.sha256(logcheck.decision_text(other_receipt, row)).hexdigest()
        self.restart_with(server, f"UPDATE decisions SET receipt = '{forged}' WHERE id = {decision}")
        post(harness.build_form(str(uuid.uuid4()), t2, d2), a, "counted")
        self.wait_head(server, 5)
        self.assertFailsWith(self.monitor(server.url, state),
                             f"fork: tree size 5 had root {seen['root_hash']} at {seen['timestamp']} "
                             "and has another now")
        with open(state) as f:
            self.assertEqual(f.read(), good_state)


class TlsLogServer(test_tls.TlsServer):
    """suara serve with --tls-cert/--tls-key and more options."""

    def __init__(self, db, cert, key, *args):
        self.context = ssl.create_default_context(cafile=cert)
        harness.Server.__init__(self, db, "--tls-cert", cert, "--tls-key", key, *args)

    def post_form(self, token, body):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=10)
        try:
            conn.request("POST", "/api/v1/forms", body=json.dumps(body),
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()

    def head(self):
        status, body = self.https_get("/api/v1/log/sth")
        return json.loads(body) if status == 200 else None


class HttpsMonitorTest(MonitorFixture):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = harness.Database("log_monitor_tls", migrate=True, seed=True)  # its own tree

    def test_https_checks_the_certificate_and_its_name(self):
        cert, key = test_tls.make_cert(harness.tmpdir())
        key_path, public = self.keygen("tls")
        server = TlsLogServer(self.db, cert, key, "--log-key", key_path, *SERVE)
        self.addCleanup(self._stop_if_running, server)
        server.wait_for("/readyz")
        url, state = f"https://127.0.0.1:{server.port}", os.path.join(harness.tmpdir(), "tls.state")
        first = harness.wait_until(server.head, timeout=30, message="a head over https")

        ok = self.monitor(url, state, "--key", public, "--ca", cert)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn(f"ok: tree_size={first['tree_size']} ", ok.stdout)

        # Growth, seen over https with a consistency proof and an inclusion.
        token = self.make_token("witness", "62")
        (tps, dpt), = self.fresh_tps(1)
        body = harness.build_form(str(uuid.uuid4()), tps, dpt)
        posted = harness.wait_until(lambda: (lambda r: r if r[0] != 401 else None)(
            server.post_form(token, body)), timeout=30, message="the token to be known")
        self.assertEqual(posted[0], 201, posted)
        receipt = posted[1]
        harness.wait_until(lambda: (server.head() or {}).get("tree_size") == first["tree_size"] + 1,
                           timeout=30, message="a head with the new form")
        ok = self.monitor(url, state, "--ca", cert, "--form",
                          f"{receipt['form_id']}:{receipt['receipt']}")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("(1 new entries since ", ok.stdout)
        self.assertIn("; 1 form included", ok.stdout)

        # Without the CA that signed it, the certificate does not verify; for
        # another name than its own, neither; plain http is no TLS at all.
        port = server.port
        self.assertFails(self.monitor(url, state),
                         f"cannot be reached: the certificate of 127.0.0.1:{port} does not verify: "
                         "self-signed certificate")
        self.assertFails(self.monitor(f"https://localhost:{port}", state, "--ca", cert),
                         f"the certificate of localhost:{port} does not verify: hostname mismatch")
        self.assertFails(self.monitor(f"http://127.0.0.1:{port}", state), "cannot be reached")
        self.assertFails(self.monitor(url, state, "--ca", "/nonexistent/ca.pem"),
                         "cannot read the CA certificates /nonexistent/ca.pem")


class LoopbackJsonServer:
    """An HTTP server on loopback in a thread of its own that answers every GET
    with what `answer(path)` returns: (status, JSON body bytes)."""

    def __init__(self, answer):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeLog(LoopbackJsonServer):
    """A stand-in for a lying Suara server: answers GET /api/v1/log/sth with
    the given head (a real head with one field changed)."""

    def __init__(self, head):
        body = json.dumps(head).encode()
        super().__init__(lambda path: (200, body))


class LyingProxy(LoopbackJsonServer):
    """A stand-in for a lying Suara server in front of a real one: forwards
    every GET, and passes the JSON answers of one path through `lie`."""

    def __init__(self, upstream, path, lie):
        def answer(asked):
            try:
                with urllib.request.urlopen(upstream + asked, timeout=10) as r:
                    status, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
            if status == 200 and asked.startswith(path):
                body = json.dumps(lie(json.loads(body))).encode()
            return status, body

        super().__init__(answer)


if __name__ == "__main__":
    harness.main()
