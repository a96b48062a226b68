"""`suara log monitor`: it accepts honest growth (across restarts too) and
fails, with one line saying why and its state left as it was, on a rewritten
receipt, a deleted newest form, a wrong or changed key, a bad signature, a
receipt that is not in the tree and a server it cannot reach; over https it
checks the server's certificate and name."""

import http.client
import http.server
import json
import os
import ssl
import threading
import uuid

import harness
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


class FakeLog:
    """A stand-in for a lying Suara server: answers GET /api/v1/log/sth with
    the given head (a real head with one field changed)."""

    def __init__(self, head):
        body = json.dumps(head).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
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


if __name__ == "__main__":
    harness.main()
