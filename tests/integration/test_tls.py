"""Optional TLS: --tls-cert/--tls-key serve HTTPS and WSS on the same port;
plain HTTP is refused there, and unreadable key files stop the server at once
with a clear message."""

import http.client
import json
import os
import ssl
import subprocess

import harness


def make_cert(folder):
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class TlsServer(harness.Server):
    """A Server whose readiness probe speaks HTTPS."""

    def __init__(self, db, cert, key):
        self.context = ssl.create_default_context(cafile=cert)
        super().__init__(db, "--tls-cert", cert, "--tls-key", key)

    def https_get(self, path):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=5)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def wait_for(self, path="/healthz", status=200, timeout=harness.START_TIMEOUT):
        def answered():
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited early\n{self.log_tail()}")
            try:
                return self.https_get(path)[0] == status
            except OSError:
                return False
        harness.wait_until(answered, timeout=timeout, message=f"{path} over TLS")


class TlsTest(harness.SuaraTestCase):
    def test_https_and_wss(self):
        cert, key = make_cert(harness.tmpdir())
        server = TlsServer(self.db, cert, key)
        self.addCleanup(self._stop_if_running, server)
        get = server.https_get

        server.wait_for("/readyz")
        status, body = get("/api/v1/regions/62")
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(body)["children"]), 14)

        plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            plain.request("GET", "/healthz")
            plain.getresponse().read()

        import websocket
        ws = websocket.create_connection(f"wss://127.0.0.1:{server.port}/api/v1/live",
                                         sslopt={"ca_certs": cert}, timeout=10)
        ws.send(json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62"}))
        snapshot = json.loads(ws.recv())
        self.assertEqual((snapshot["type"], snapshot["region"]), ("snapshot", "62"))
        self.assertEqual(snapshot["tps"]["total"], 4446)
        ws.close()

    def test_unreadable_key_fails_fast(self):
        cert, _ = make_cert(harness.tmpdir())
        proc = self.suara("serve", "--db", self.db.conninfo, "--listen",
                          f"127.0.0.1:{harness.free_port()}", "--tls-cert", cert,
                          "--tls-key", "/nonexistent/key.pem", timeout=20)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("listen_failed", proc.stderr)


if __name__ == "__main__":
    harness.main()
