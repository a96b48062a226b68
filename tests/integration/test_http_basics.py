"""HTTP foundation against the real binary: health, readiness, metrics, the
read endpoints for contests and regions, error bodies for unknown paths and
wrong methods, static files and a clean exit on SIGTERM."""

import os
import re
import signal
import socket
import unittest

import harness

KAB_COUNT = 14
CONTEST_COUNT = 15
UNREACHABLE_DB = "host=/nonexistent-suara-socket port=1 connect_timeout=1"
METRIC_LINE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"'
    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? [-+]?([0-9.eE+-]+|Inf|NaN)$')


class ErrorAsserts:
    def assert_error(self, status, headers, body, want_status, code=None):
        """The contract's error body: {"error": {"code", "message", "details"}}."""
        self.assertEqual(status, want_status, body)
        self.assertIn("application/json", headers.get("Content-Type", ""), body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(set(body), {"error"}, body)
        err = body["error"]
        self.assertEqual(set(err), {"code", "message", "details"}, body)
        self.assertRegex(err["code"], r"^[a-z][a-z0-9_]*$")
        self.assertIsInstance(err["message"], str)
        self.assertTrue(err["message"].strip(), body)
        self.assertIsInstance(err["details"], list)
        if code is not None:
            self.assertEqual(err["code"], code, body)
        return err


def parse_metrics(text):
    """{sample name with labels: float} of a Prometheus text exposition."""
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


class OperationsTest(ErrorAsserts, harness.SuaraTestCase):
    def test_healthz_and_readyz(self):
        server = self.start_server(ready=True)
        status, headers, body = server.get("/healthz")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers["Content-Type"])
        status, headers, body = server.get("/readyz")
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body, dict)
        self.assertEqual(body.get("status"), "ready", body)

    def test_unreachable_database(self):
        server = self.start_server(db=UNREACHABLE_DB)  # start waits for /healthz 200
        for _ in range(3):
            status, headers, body = server.get("/readyz")
            self.assertEqual(status, 503, body)
            self.assertIn("application/json", headers.get("Content-Type", ""))
            self.assertIsInstance(body, dict, body)
            self.assertNotEqual(body.get("status"), "ready", body)
            status, _, body = server.get("/healthz")
            self.assertEqual(status, 200, body)
        # API calls are refused with a JSON error and Retry-After, never hang.
        status, headers, body = server.get("/api/v1/contests")
        self.assert_error(status, headers, body, 503)
        self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        status, headers, body = server.post("/api/v1/forms", {"submission_id": "x"},
                                            token="sk_" + "a" * 43)
        self.assert_error(status, headers, body, 503)
        self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        server.stop()  # SIGTERM while still connecting: exit status 0

    def test_sigterm_exits_cleanly(self):
        server = self.start_server(ready=True)
        self.assertEqual(server.get("/api/v1/contests")[0], 200)
        log = server.stop(signal.SIGTERM)
        self.assertEqual(server.proc.returncode, 0)
        self.assertIn("stopped", log)
        # and SIGINT as well
        server = self.start_server(ready=True)
        server.stop(signal.SIGINT)
        self.assertEqual(server.proc.returncode, 0)

    @unittest.skipUnless(os.path.exists("/proc/thread-self/schedstat"), "no schedstat")
    def test_metrics_loop_time(self):
        """The loop thread's time on a CPU and waiting for one (a loop held
        by a busy machine rather than by work shows in the second)."""
        server = self.start_server(ready=True)
        metrics = parse_metrics(server.get("/metrics")[2])
        self.assertEqual((metrics.get("suara_loop_cpu_seconds_total", 0) > 0,
                          metrics.get("suara_loop_runqueue_wait_seconds_total", -1) >= 0),
                         (True, True))

    def test_metrics(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62.05")
        tps, dpt = self.rows("SELECT code, dpt FROM tps WHERE code LIKE '62.05.%' "
                             "ORDER BY code LIMIT 1")[0]
        dpt = int(dpt)

        status, headers, text = server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"), headers["Content-Type"])
        self.assertIsInstance(text, str)
        for line in text.splitlines():
            if line.startswith("#"):
                self.assertRegex(line, r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$")
            else:
                self.assertRegex(line, METRIC_LINE)
        for name, kind in (("suara_forms_total", "counter"),
                           ("suara_http_requests_total", "counter"),
                           ("suara_ack_latency_seconds", "histogram"),
                           ("suara_batch_size", "histogram"),
                           ("suara_ws_connections", "gauge")):
            self.assertIn(f"# TYPE {name} {kind}\n", text)
        self.assertIn("suara_ack_latency_seconds_bucket{", text)
        self.assertIn("suara_batch_size_bucket{", text)
        before = parse_metrics(text)
        self.assertEqual(before["suara_ws_connections"], 0)

        for _ in range(3):
            self.assertEqual(server.get("/api/v1/regions/62.99")[0], 404)
        half = dpt // 2
        form = {"submission_id": f"metrics-{tps}", "tps": tps, "contest": "bup-62.05",
                "registered": {"dpt": {"m": half, "f": dpt - half}, "dpph": {"m": 0, "f": 0},
                               "dptb": {"m": 0, "f": 0}},
                "voted": {"dpt": {"m": 50, "f": 50}, "dpph": {"m": 0, "f": 0},
                          "dptb": {"m": 0, "f": 0}},
                "ballots": {"received": dpt, "returned": 0, "unused": dpt - 100, "used": 100},
                "disability": {"registered": 0, "voted": 0},
                "votes": {"1": 60, "2": 40}, "valid": 100, "invalid": 0, "total": 100}
        status, _, body = server.post("/api/v1/forms", form, token=token)
        self.assertEqual(status, 201, body)
        self.assertEqual(body["status"], "counted", body)

        after = parse_metrics(server.get("/metrics")[2])

        def delta(name):
            return after.get(name, 0) - before.get(name, 0)

        self.assertEqual(delta('suara_http_requests_total{status="404"}'), 3)
        self.assertEqual(delta('suara_http_requests_total{status="201"}'), 1)
        self.assertEqual(delta('suara_forms_total{outcome="counted"}'), 1)
        self.assertEqual(delta("suara_ack_latency_seconds_count"), 1)
        self.assertEqual(delta("suara_batch_size_count"), 1)
        self.assertEqual(delta('suara_batch_size_bucket{le="+Inf"}'), 1)
        for hist in ("suara_ack_latency_seconds", "suara_batch_size"):
            buckets = [(k, v) for k, v in after.items() if k.startswith(hist + "_bucket{")]
            self.assertGreaterEqual(len(buckets), 2, hist)
            values = [v for _, v in buckets]
            self.assertEqual(values, sorted(values), f"{hist} buckets are not cumulative")
            self.assertEqual(after[f'{hist}_bucket{{le="+Inf"}}'], after[f"{hist}_count"])


class ReadTest(ErrorAsserts, harness.ServedTestCase):
    def get(self, path, **kw):
        return self.server.get(path, **kw)

    def test_contests(self):
        status, headers, body = self.get("/api/v1/contests")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers["Content-Type"])
        self.assertIsInstance(body, list)
        self.assertEqual(len(body), CONTEST_COUNT)
        by_id = {c["id"]: c for c in body}
        self.assertEqual(len(by_id), CONTEST_COUNT)
        db_contests = {r[0]: r[1:] for r in
                       self.rows("SELECT id, kind, region, title FROM contests")}
        self.assertEqual(set(by_id), set(db_contests))
        for cid, c in by_id.items():
            self.assertLessEqual({"id", "kind", "region", "title", "candidates"}, set(c), c)
            self.assertEqual((c["kind"], c["region"], c["title"]), db_contests[cid])
            want = [(int(n), h, d) for n, h, d in self.rows(
                f"SELECT number, head, deputy FROM candidates WHERE contest = '{cid}' "
                "ORDER BY number")]
            got = [(k["number"], k["head"], k["deputy"]) for k in c["candidates"]]
            self.assertEqual(got, want, cid)
        gub = by_id["gub-62"]
        self.assertEqual(gub["region"], "62")
        self.assertEqual([k["number"] for k in gub["candidates"]], [1, 2, 3, 4])
        for k in gub["candidates"]:
            self.assertLessEqual({"number", "head", "deputy"}, set(k), k)
            self.assertIsInstance(k["number"], int)
            self.assertTrue(k["head"].strip() and k["deputy"].strip(), k)

    def assert_region(self, code, level, parent, child_level, child_codes):
        status, headers, body = self.get(f"/api/v1/regions/{code}")
        self.assertEqual(status, 200, body)
        self.assertIn("application/json", headers["Content-Type"])
        self.assertLessEqual({"code", "name", "level", "parent", "children"}, set(body), body)
        self.assertEqual(body["code"], code)
        self.assertEqual(body["level"], level)
        self.assertEqual(body["parent"], parent)
        self.assertTrue(body["name"].strip())
        self.assertEqual(sorted(c["code"] for c in body["children"]), sorted(child_codes))
        for c in body["children"]:
            self.assertEqual(set(c), {"code", "name", "level"}, c)
            self.assertEqual(c["level"], child_level, c)
            self.assertTrue(c["name"].strip(), c)
        return body

    def test_province(self):
        kabs = [r[0] for r in self.rows("SELECT code FROM regions WHERE parent = '62'")]
        self.assertEqual(len(kabs), KAB_COUNT)
        body = self.assert_region("62", "province", None, "kabupaten", kabs)
        self.assertEqual(body["name"], self.value("SELECT name FROM regions WHERE code = '62'"))
        names = dict(self.rows("SELECT code, name FROM regions WHERE parent = '62'"))
        self.assertEqual({c["code"]: c["name"] for c in body["children"]}, names)

    def test_kabupaten_kecamatan_desa_tps(self):
        kecs = [r[0] for r in self.rows("SELECT code FROM regions WHERE parent = '62.03'")]
        self.assert_region("62.03", "kabupaten", "62", "kecamatan", kecs)
        desas = [r[0] for r in self.rows("SELECT code FROM regions WHERE parent = '62.03.01'")]
        self.assertTrue(desas)
        self.assert_region("62.03.01", "kecamatan", "62.03", "desa", desas)
        desa = self.value("SELECT desa FROM tps WHERE desa LIKE '62.03.01.%' GROUP BY desa "
                          "HAVING count(*) > 1 ORDER BY desa LIMIT 1")
        tps = [r[0] for r in self.rows(f"SELECT code FROM tps WHERE desa = '{desa}'")]
        self.assertGreater(len(tps), 1)
        body = self.assert_region(desa, "desa", "62.03.01", "tps", tps)
        self.assertEqual(body["name"],
                         self.value(f"SELECT name FROM regions WHERE code = '{desa}'"))
        self.assert_region(tps[0], "tps", desa, None, [])
        # a Kota works the same
        self.assertEqual(self.get("/api/v1/regions/62.71")[2]["level"], "kabupaten")

    def test_unknown_region(self):
        for code in ("62.99", "63", "62.03.01.2001.999", "62.03.99", "x", "62.03.01.9999"):
            status, headers, body = self.get(f"/api/v1/regions/{code}")
            self.assert_error(status, headers, body, 404)

    def test_unknown_paths(self):
        for path in ("/api/v1/regions/", "/api/v1/nope", "/api/v2/x", "/api/v1/tally/gub-62",
                     "/api/v1/tally/gub-62/62/extra", "/api/v1/tally/nope-1/62", "/api/v1/",
                     "/api/v1", "/api", "/api/v1/tps/", "/api/v1/tps/62.03", "/api/v1/export/",
                     "/api/v1/export/gub-62", "/api/v1/export/nope.csv", "/api/v1/contests/x"):
            status, headers, body = self.get(path)
            self.assert_error(status, headers, body, 404)
        # the server is still serving
        self.assertEqual(self.get("/healthz")[0], 200)

    def test_tally_outside_contest(self):
        status, headers, body = self.get("/api/v1/tally/bup-62.03/62.02")
        self.assert_error(status, headers, body, 404)
        status, headers, body = self.get("/api/v1/tally/bup-62.03/62")
        self.assert_error(status, headers, body, 404)
        self.assertEqual(self.get("/api/v1/tally/bup-62.03/62.03")[0], 200)

    def test_wrong_methods(self):
        for method, path, allow in (("DELETE", "/api/v1/contests", "GET"),
                                    ("GET", "/api/v1/forms", "POST"),
                                    ("PUT", "/healthz", "GET"),
                                    ("POST", "/readyz", "GET"),
                                    ("DELETE", "/metrics", "GET"),
                                    ("POST", "/api/v1/regions/62", "GET"),
                                    ("PUT", "/api/v1/tally/gub-62/62", "GET"),
                                    ("POST", "/api/v1/review", "GET"),
                                    ("GET", "/api/v1/forms/1/decision", "POST")):
            status, headers, body = self.server.request(method, path)
            self.assert_error(status, headers, body, 405)
            self.assertIsNotNone(headers.get("Allow"), (method, path))
            allowed = [m.strip() for m in headers["Allow"].split(",")]
            self.assertIn(allow, allowed, (method, path))
            self.assertNotIn(method, allowed, (method, path))
        self.assertEqual(self.get("/healthz")[0], 200)

    def test_default_static_root(self):
        status, headers, body = self.get("/")
        index = os.path.join(harness.SOURCE_DIR, "client-web", "index.html")
        if os.path.exists(index):
            self.assertEqual(status, 200)
            self.assertIn("text/html", headers["Content-Type"])
            self.assertIn("<html", body.lower())
        else:
            self.assert_error(status, headers, body, 404)
        self.assertEqual(self.get("/healthz")[0], 200)


class StaticTest(ErrorAsserts, harness.SuaraTestCase):
    def test_static_folder(self):
        folder = os.path.join(harness.tmpdir(), "static-site")
        os.makedirs(os.path.join(folder, "js"), exist_ok=True)
        page = "<!doctype html><html><head><title>t</title></head><body>suara-test</body></html>\n"
        with open(os.path.join(folder, "index.html"), "w") as f:
            f.write(page)
        with open(os.path.join(folder, "js", "app.js"), "w") as f:
            f.write("export const x = 1;\n")
        server = self.start_server("--static", folder, ready=True)
        status, headers, body = server.get("/")
        self.assertEqual(status, 200, body)
        self.assertIn("text/html", headers["Content-Type"])
        self.assertEqual(body, page)
        status, headers, body = server.get("/js/app.js")
        self.assertEqual(status, 200)
        self.assertIn("javascript", headers["Content-Type"])
        self.assertEqual(body, "export const x = 1;\n")
        status, headers, body = server.get("/saksi")  # a client-side view: index.html
        self.assertEqual(status, 200)
        self.assertEqual(body, page)
        status, headers, body = server.get("/missing.js")
        self.assert_error(status, headers, body, 404)
        # Views named by dotted codes are views, not files.
        for view in ("/tps/62.01.01.1011.001", "/c/gub-62/62.03", "/c/wal-62.71"):
            status, headers, body = server.get(view)
            self.assertEqual((status, body), (200, page), view)
        self.assertEqual(headers["Cache-Control"], "no-cache")
        os.makedirs(os.path.join(folder, "node_modules", "x"), exist_ok=True)
        with open(os.path.join(folder, "node_modules", "x", "index.js"), "w") as f:
            f.write("secret\n")
        status, headers, body = server.get("/node_modules/x/index.js")
        self.assert_error(status, headers, body, 404)
        # traversal out of the folder never serves the file
        conn = socket.create_connection((server.host, server.port), timeout=10)
        try:
            conn.sendall(b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n"
                         b"Connection: close\r\n\r\n")
            raw = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                raw += chunk
        finally:
            conn.close()
        self.assertNotIn(b"root:", raw)
        self.assertEqual(server.get("/healthz")[0], 200)

    def test_whoami(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62.01.01.1011", "Saksi Candi")
        server.wait_for_token(token)
        status, _, body = server.get("/api/v1/whoami", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual({k: body[k] for k in ("role", "scope", "scope_level", "name")},
                         {"role": "witness", "scope": "62.01.01.1011", "scope_level": "desa",
                          "name": "Saksi Candi"})
        self.assertEqual(body["scope_name"], "Candi")
        self.assertNotIn("region", body, "a wider scope's region is read on its own")
        tps = "62.01.01.1011.001"
        one = self.make_token("witness", tps, "Saksi TPS 001")
        server.wait_for_token(one)
        status, _, body = server.get("/api/v1/whoami", token=one)
        self.assertEqual(status, 200, body)
        region = {k: v for k, v in server.get(f"/api/v1/regions/{tps}")[2].items() if k != "mode"}
        self.assertEqual(body["region"], region, "a one-TPS token's TPS, as GET /regions answers it")
        status, headers, body = server.get("/api/v1/whoami")
        self.assert_error(status, headers, body, 401)
        status, headers, body = server.get("/api/v1/whoami", token="sk_nope")
        self.assert_error(status, headers, body, 401)

    def test_missing_static_folder(self):
        folder = os.path.join(harness.tmpdir(), "no-such-static-folder")
        server = self.start_server("--static", folder, ready=True)
        status, headers, body = server.get("/")
        self.assert_error(status, headers, body, 404)
        status, headers, body = server.get("/app.css")
        self.assert_error(status, headers, body, 404)
        self.assertEqual(server.get("/healthz")[0], 200)


if __name__ == "__main__":
    harness.main()
