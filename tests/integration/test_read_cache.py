"""Cacheable reads (the contract's "Caching and scale"): every public read has
an ETag that changes whenever its content can, `Cache-Control: public,
max-age=1` (CSV 30), and a matching If-None-Match gets 304; under
--private-reads `private, no-store`. Then a real nginx with the shipped
docs/deploy/nginx-read-cache.conf in front: it answers repeated reads itself,
revalidates with Suara (304), and serves fresh data within its max-age."""

import http.client
import json
import os
import re
import time

import harness
import images
from edges import NGINX, _require, kill_nginx, start_nginx, write_nginx_conf

CACHE_CONF = os.path.join(harness.SOURCE_DIR, "docs", "deploy", "nginx-read-cache.conf")
READS = ["/api/v1/tally/gub-62/62", "/api/v1/tally/gub-62/62.01.01", "/api/v1/tps/62.01.01.1011.001",
         "/api/v1/regions/62.01", "/api/v1/contests", "/api/v1/export/gub-62.csv?level=kabupaten",
         "/api/v1/timeline/gub-62/62", "/api/v1/changes?since=0&limit=10"]


class CacheNginx:
    """nginx running the shipped read-cache configuration in front of `server`."""

    def __init__(self, server):
        _require(NGINX, "nginx-light")
        self.port = harness.free_port()
        self.dir = os.path.join(harness.tmpdir(), f"nginx-cache-{self.port}")
        os.makedirs(self.dir)
        with open(CACHE_CONF) as f:
            conf = f.read()
        conf = conf.replace("listen 127.0.0.1:8082;", f"listen 127.0.0.1:{self.port};")
        conf = conf.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{server.port};")
        conf = conf.replace("/var/cache/nginx/suara", f"{self.dir}/cache")
        with open(os.path.join(self.dir, "cache.conf"), "w") as f:
            f.write(conf)
        write_nginx_conf(self.dir, "cache.conf")
        self.proc = start_nginx(self.dir, self.port)

    def get(self, path, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def stop(self):
        kill_nginx(self.proc)


def http_requests(server):
    """How many requests the server has answered (every status)."""
    status, _, body = server.get("/metrics")
    return sum(int(n) for n in re.findall(r'^suara_http_requests_total\{[^}]*\} (\d+)$', body, re.M))


def metric_304(server):
    status, _, body = server.get("/metrics")
    m = re.search(r'^suara_http_requests_total\{status="304"\} (\d+)$', body, re.M)
    return int(m.group(1)) if m else 0


class ReadCacheTest(harness.SuaraTestCase):
    def test_every_public_read_carries_a_validator_and_answers_304(self):
        server = self.start_server(ready=True)
        for path in READS:
            status, headers, body = server.get(path)
            self.assertEqual(status, 200, path)
            etag = headers["ETag"]
            self.assertRegex(etag, r'^"[^"]+"$', path)
            max_age = 30 if ".csv" in path else 1
            self.assertEqual(headers["Cache-Control"], f"public, max-age={max_age}", path)
            status, headers, body = server.get(path, headers={"If-None-Match": etag})
            self.assertEqual((status, body, headers["ETag"]), (304, "", etag), path)
            status, _, _ = server.get(path, headers={"If-None-Match": '"something-else"'})
            self.assertEqual(status, 200, path)

    def test_the_etag_moves_with_the_content(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62", server=server)
        (tps, dpt), = self.fresh_tps(1, prefix="62.04")
        paths = [f"/api/v1/tally/gub-62/{tps[:5]}", f"/api/v1/tps/{tps}",
                 "/api/v1/export/gub-62.csv?level=kabupaten"]
        other = "/api/v1/tally/gub-62/62.05"  # elsewhere: unchanged
        before = {p: server.get(p)[1]["ETag"] for p in paths + [other]}
        status, _, body = server.post("/api/v1/forms", harness.build_form("etag-1", tps, dpt),
                                      token=token)
        self.assertEqual(status, 201, body)
        for p in paths:
            status, headers, _ = server.get(p, headers={"If-None-Match": before[p]})
            self.assertEqual(status, 200, p)
            self.assertNotEqual(headers["ETag"], before[p], p)
        self.assertEqual(server.get(other, headers={"If-None-Match": before[other]})[0], 304)
        # Finalising a region changes what its nodes and their parents show, with no seq.
        admin = self.make_token("admin", "62", server=server)
        province = server.get("/api/v1/tally/gub-62/62")[1]["ETag"]
        status, _, body = server.post("/api/v1/contests/gub-62/finalize",
                                      {"region": "62.05", "reason": "pleno selesai"}, token=admin)
        self.assertEqual(status, 200, body)
        self.assertEqual(server.get("/api/v1/tally/gub-62/62", headers={"If-None-Match": province})[0],
                         200)
        self.assertEqual(server.get(other, headers={"If-None-Match": before[other]})[0], 200)
        # A restarted server starts a new epoch: no validator of the old process survives
        # (a database restored from a backup may reuse seqs with other content).
        etag = server.get(paths[0])[1]["ETag"]
        server.stop()
        server.start(ready=True)
        self.assertEqual(server.get(paths[0], headers={"If-None-Match": etag})[0], 200)

    def test_a_full_changes_page_and_another_tps_keep_their_etags(self):
        """A changes page that is full never changes, so a commit after it
        leaves its ETag alone (a short page's moves); a photo of one TPS's form
        moves that TPS's ETag and no other's."""
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62", server=server)
        (a, dpt_a), (b, dpt_b) = self.fresh_tps(2, prefix="62.06")
        photo = images.jpeg(seed=4242)
        form_a = harness.build_form("etag-photo-a", a, dpt_a)
        form_a["photos"] = [images.sha256(photo)]
        for body in (form_a, harness.build_form("etag-photo-b", b, dpt_b)):
            status, _, answer = server.post("/api/v1/forms", body, token=token)
            self.assertEqual(status, 201, answer)
        since = int(server.get("/api/v1/changes?since=0&limit=10000")[2]["next_since"]) - 2
        full, short = f"/api/v1/changes?since={since}&limit=1", f"/api/v1/changes?since={since}&limit=5"
        tps_a, tps_b = f"/api/v1/tps/{a}", f"/api/v1/tps/{b}"
        before = {p: server.get(p)[1]["ETag"] for p in (full, short, tps_a, tps_b)}
        (c, dpt_c), = self.fresh_tps(1, prefix="62.07")
        status, _, answer = server.post("/api/v1/forms", harness.build_form("etag-photo-c", c, dpt_c),
                                        token=token)
        self.assertEqual(status, 201, answer)
        status, _, answer = server.request("PUT", f"/api/v1/photos/{images.sha256(photo)}", photo,
                                           headers={"Content-Type": "image/jpeg"}, token=token)
        self.assertEqual(status, 201, answer)
        after = {p: server.get(p, headers={"If-None-Match": before[p]})[0]
                 for p in (full, short, tps_a, tps_b)}
        self.assertEqual(after, {full: 304, short: 200, tps_a: 200, tps_b: 304})

    def test_private_reads_are_never_cacheable(self):
        server = self.start_server("--private-reads", ready=True)
        token = self.make_token("monitor", "62", server=server)
        status, headers, _ = server.get("/api/v1/tally/gub-62/62", token=token)
        self.assertEqual(status, 200)
        self.assertEqual(headers["Cache-Control"], "private, no-store")

    def test_nginx_proxy_cache_in_front_serves_304s_and_fresh_data(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62", server=server)
        cache = CacheNginx(server)
        self.addCleanup(cache.stop)
        path = "/api/v1/tally/gub-62/62.02"
        # nginx keeps time in whole seconds: a 1 s validity lasts 1 to 2 s. Starting
        # just after a second begins makes what follows independent of that.
        time.sleep(1.0 - time.time() % 1.0)
        stored_at = time.time()
        status, headers, first = cache.get(path)
        self.assertEqual((status, headers["X-Cache-Status"]), (200, "MISS"))
        answered = http_requests(server)
        for _ in range(20):  # within max-age: nginx answers, Suara is not asked
            status, headers, body = cache.get(path)
            self.assertEqual((status, body), (200, first))
        self.assertEqual(http_requests(server) - answered, 1, "only the /metrics read itself")
        # A client's own validator is answered by nginx too.
        status, _, _ = cache.get(path, headers={"If-None-Match": headers["ETag"]})
        self.assertEqual(status, 304)
        # Past max-age nginx serves its copy while it revalidates in the background:
        # unchanged, Suara answers 304 and sends no body.
        not_modified = metric_304(server)
        time.sleep(max(0.0, stored_at + 2.2 - time.time()))
        status, headers, body = cache.get(path)
        self.assertEqual((status, body, headers["X-Cache-Status"]), (200, first, "STALE"))
        harness.wait_until(lambda: metric_304(server) == not_modified + 1, timeout=5,
                           message="nginx's revalidation to get a 304")
        # Changed: within max-age plus a revalidation the cache serves the new tally.
        (tps, dpt), = self.fresh_tps(1, prefix="62.02")
        status, _, body = server.post("/api/v1/forms", harness.build_form("cache-1", tps, dpt),
                                      token=token)
        self.assertEqual(status, 201, body)
        expected = server.get(path)[2]
        harness.wait_until(lambda: json.loads(cache.get(path)[2]) == expected, timeout=5,
                           message="the cache to serve the new tally")


if __name__ == "__main__":
    harness.main()
