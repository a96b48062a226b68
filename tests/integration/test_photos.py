"""The photo API (contract: "Photos of the C.Hasil plano"): PUT and GET
/api/v1/photos/{sha256}, every outcome with the status and error code the
contract names, the bounds on uploads, and the stored bytes."""

import http.client
import json
import os
import socket
import threading
import time

import harness
from harness import metric
import images

SCOPE = "62.01"


def raw_put_headers(server, sha, length, token, ctype="image/jpeg"):
    """A socket that has sent only the request line and headers of a PUT."""
    s = socket.create_connection((server.host, server.port), timeout=30)
    s.sendall((f"PUT /api/v1/photos/{sha} HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {token}\r\nContent-Type: {ctype}\r\n"
               f"Content-Length: {length}\r\n\r\n").encode())
    return s


def read_response(sock):
    """(status, headers dict, body bytes) of one HTTP response on sock."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in
               (line.split(":", 1) for line in lines[1:] if ":" in line)}
    want = int(headers.get("content-length", "0"))
    while len(body) < want:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


class PhotoApiTest(harness.SuaraTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = harness.Server(cls.db, "--photo-uploads-max", "3")
        cls.server.wait_for("/readyz")
        cls.witness = cls.db.make_token("witness", SCOPE)
        cls.server.wait_for_token(cls.witness)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()

    def put(self, data, sha=None, ctype="image/jpeg", token=None, server=None):
        sha = sha or images.sha256(data)
        headers = {"Content-Type": ctype} if ctype else {}
        return (server or self.server).request("PUT", f"/api/v1/photos/{sha}", data,
                                               headers=headers,
                                               token=self.witness if token is None else token)

    def assert_error(self, answer, status, code):
        got, headers, body = answer
        self.assertEqual(got, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        return headers

    def test_jpeg_is_stored_then_repeated_with_the_same_body(self):
        data = images.jpeg(120, 80, seed=11)
        sha = images.sha256(data)
        status, _, first = self.put(data)
        self.assertEqual(status, 201, first)
        self.assertEqual(first, {"sha256": sha, "bytes": len(data), "content_type": "image/jpeg",
                                 "width": 120, "height": 80})
        status, _, again = self.put(data)
        self.assertEqual((status, again), (200, first))
        self.assertEqual(self.value(f"SELECT encode(data, 'hex') FROM photos "
                                    f"WHERE sha256 = '{sha}'"), data.hex())

    def test_png_and_webp_are_stored_with_their_size(self):
        for kind, data in (("image/png", images.png(33, 21, seed=12)),
                           ("image/webp", images.webp(40, 30, seed=13))):
            status, _, body = self.put(data, ctype=kind)
            self.assertEqual(status, 201, body)
            self.assertEqual((body["content_type"], body["bytes"]), (kind, len(data)))
        self.assertEqual(self.value("SELECT width || 'x' || height FROM photos "
                                    f"WHERE sha256 = '{images.sha256(data)}'"), "40x30")

    def test_get_serves_the_bytes_with_etag_and_immutable_caching(self):
        data = images.png(20, 20, seed=14)
        sha = images.sha256(data)
        self.assertEqual(self.put(data, ctype="image/png")[0], 201)
        status, headers, body = self.server.get(f"/api/v1/photos/{sha}")
        self.assertEqual(status, 200)
        self.assertEqual(body, data)
        self.assertEqual(headers["Content-Type"], "image/png")
        self.assertEqual(headers["ETag"], f'"{sha}"')
        self.assertEqual(headers["Cache-Control"], "public, max-age=31536000, immutable")
        status, headers, body = self.server.get(f"/api/v1/photos/{sha}",
                                                headers={"If-None-Match": f'"{sha}"'})
        self.assertEqual((status, body), (304, ""))
        self.assertEqual(headers["ETag"], f'"{sha}"')

    def test_unknown_photo_is_404(self):
        self.assert_error(self.server.get("/api/v1/photos/" + "0" * 64), 404, "unknown_photo")
        self.assert_error(self.server.get("/api/v1/photos/not-a-hash"), 404, "unknown_photo")

    def test_truncated_jpeg_is_415(self):
        data = images.jpeg(200, 150, seed=15)
        cut = data[:len(data) * 2 // 3]
        self.assert_error(self.put(cut), 415, "unsupported_media_type")
        self.assertEqual(self.value(f"SELECT count(*) FROM photos "
                                    f"WHERE sha256 = '{images.sha256(cut)}'"), "0")

    def test_png_declared_as_jpeg_is_415(self):
        self.assert_error(self.put(images.png(seed=16), ctype="image/jpeg"), 415,
                          "unsupported_media_type")

    def test_forged_png_header_is_415(self):
        good = images.png(30, 30, seed=17)
        forged = good[:60] + bytes(len(good) - 60)  # right signature and IHDR, zeros after
        self.assert_error(self.put(forged, ctype="image/png"), 415, "unsupported_media_type")

    def test_other_content_types_are_415(self):
        data = images.jpeg(seed=18)
        self.assert_error(self.put(data, ctype="text/plain"), 415, "unsupported_media_type")
        self.assert_error(self.put(data, ctype=None), 415, "unsupported_media_type")

    def test_hash_mismatch_is_400(self):
        data = images.jpeg(seed=19)
        self.assert_error(self.put(data, sha=images.sha256(data + b"x")), 400,
                          "photo_hash_mismatch")
        self.assert_error(self.put(data, sha=images.sha256(data).upper()), 400,
                          "photo_hash_mismatch")

    def test_five_mib_body_is_413_before_the_body_is_sent(self):
        sock = raw_put_headers(self.server, "a" * 64, 5 * 1024 * 1024, self.witness)
        try:
            status, headers, body = read_response(sock)  # no body byte was sent
        finally:
            sock.close()
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body)["error"]["code"], "too_large")

    def test_no_token_is_401_and_monitor_token_is_403(self):
        data = images.jpeg(seed=20)
        self.assert_error(self.put(data, token=""), 401, "missing_token")
        self.assert_error(self.put(data, token="sk_" + "x" * 43), 401, "unknown_token")
        monitor = self.make_token("monitor", "62", server=self.server)
        self.assert_error(self.put(data, token=monitor), 403, "forbidden")
        reviewer = self.make_token("reviewer", "62.02", server=self.server)
        self.assertEqual(self.put(data, token=reviewer)[0], 201)

    def test_same_photo_twice_in_parallel_is_stored_once(self):
        data = images.jpeg(400, 300, seed=21)
        sha = images.sha256(data)
        results = []

        def upload():
            conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
            conn.request("PUT", f"/api/v1/photos/{sha}", body=data,
                         headers={"Content-Type": "image/jpeg",
                                  "Authorization": f"Bearer {self.witness}"})
            resp = conn.getresponse()
            results.append((resp.status, json.loads(resp.read())))
            conn.close()

        threads = [threading.Thread(target=upload) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(s for s, _ in results), [200, 201])
        self.assertEqual(results[0][1], results[1][1])
        self.assertEqual(self.value(f"SELECT count(*) FROM photos WHERE sha256 = '{sha}'"), "1")

    def test_uploads_past_the_limit_are_503_and_vanished_clients_free_their_slot(self):
        held = []
        datas = [images.jpeg(seed=30 + i) for i in range(3)]
        for data in datas:  # three slots (--photo-uploads-max 3), each held mid-body
            s = raw_put_headers(self.server, images.sha256(data), len(data), self.witness)
            s.sendall(data[:10])
            held.append(s)
        harness.wait_until(lambda: metric(self.server, "suara_photo_uploads_in_flight") == 3,
                           timeout=20, message="three uploads in flight")
        extra = images.jpeg(seed=33)
        headers = self.assert_error(self.put(extra), 503, "too_many_uploads")
        self.assertEqual(headers["Retry-After"], "2")
        held[0].close()  # a client that vanished mid-body
        harness.wait_until(lambda: metric(self.server, "suara_photo_uploads_in_flight") == 2,
                           timeout=20, message="the vanished client's slot to be freed")
        for s, data in zip(held[1:], datas[1:]):  # the others finish and are stored
            s.sendall(data[10:])
            status, _, body = read_response(s)
            s.close()
            self.assertEqual(status, 201, body)
        self.assertEqual(self.put(extra)[0], 201)
        harness.wait_until(lambda: metric(self.server, "suara_photo_uploads_in_flight") == 0,
                           timeout=20, message="no upload in flight")

    def test_rejects_are_counted_by_code(self):
        before = metric(self.server, 'suara_photo_rejects_total{code="photo_hash_mismatch"}')
        data = images.jpeg(seed=40)
        self.put(data, sha="b" * 64)
        after = metric(self.server, 'suara_photo_rejects_total{code="photo_hash_mismatch"}')
        self.assertEqual(after, before + 1)

    def test_other_methods_are_405(self):
        status, headers, _ = self.server.request("DELETE", "/api/v1/photos/" + "a" * 64)
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD, PUT")


class PrivatePhotoReadsTest(harness.SuaraTestCase):
    def test_private_reads_need_a_token_and_say_private(self):
        server = self.start_server("--private-reads", ready=True)
        witness = self.make_token("witness", SCOPE, server=server)
        data = images.png(10, 10, seed=50)
        sha = images.sha256(data)
        status, _, _ = server.request("PUT", f"/api/v1/photos/{sha}", data,
                                      headers={"Content-Type": "image/png"}, token=witness)
        self.assertEqual(status, 201)
        status, _, body = server.get(f"/api/v1/photos/{sha}")
        self.assertEqual((status, body["error"]["code"]), (401, "missing_token"))
        status, headers, body = server.get(f"/api/v1/photos/{sha}", token=witness)
        self.assertEqual((status, body), (200, data))
        self.assertEqual(headers["Cache-Control"], "private, max-age=31536000, immutable")


class PhotoRestartTest(harness.SuaraTestCase):
    def test_stored_photos_are_known_after_a_restart(self):
        server = self.start_server(ready=True)
        witness = self.make_token("witness", SCOPE, server=server)
        data = images.webp(50, 40, seed=60)
        sha = images.sha256(data)
        status, _, first = server.request("PUT", f"/api/v1/photos/{sha}", data,
                                          headers={"Content-Type": "image/webp"}, token=witness)
        self.assertEqual(status, 201)
        server.stop()
        server.start(ready=True)
        status, _, again = server.request("PUT", f"/api/v1/photos/{sha}", data,
                                          headers={"Content-Type": "image/webp"}, token=witness)
        self.assertEqual((status, again), (200, first))
        status, _, body = server.get(f"/api/v1/photos/{sha}")
        self.assertEqual((status, body), (200, data))


class PhotoReconnectTest(harness.SuaraTestCase):
    def test_a_new_photo_connection_prepares_its_put_again(self):
        server = self.start_server(ready=True)
        witness = self.make_token("witness", SCOPE, server=server)

        def put(data):
            return server.request("PUT", f"/api/v1/photos/{images.sha256(data)}", data,
                                  headers={"Content-Type": "image/jpeg"}, token=witness)[0]

        self.assertEqual(put(images.jpeg(40, 30, seed=70)), 201)
        mine = f"datname = current_database() AND pid <> pg_backend_pid()"
        old = self.db.value(f"SELECT pid FROM pg_stat_activity WHERE {mine}"
                            " AND application_name = 'suara-photos'")
        self.db.psql(f"SELECT pg_terminate_backend({old})")
        # The server's new photo connection prepares the put first thing.
        harness.wait_until(lambda: self.db.value(
            f"SELECT count(*) FROM pg_stat_activity WHERE {mine} AND pid <> {old}"
            " AND query LIKE '%PREPARE suara_photo_put%'") == "1", timeout=30,
            message="a new photo connection with the put prepared")
        self.assertEqual(put(images.jpeg(40, 30, seed=71)), 201)


def threads(pid):
    """[(tid, name, nice)] of the threads of process pid (/proc/PID/task/TID/stat)."""
    out = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            stat = f.read()
        fields = stat[stat.rindex(")") + 2:].split()  # from field 3, the state
        out.append((int(tid), stat[stat.index("(") + 1:stat.rindex(")")], int(fields[16])))
    return out


class PhotoCheckThreadTest(harness.SuaraTestCase):
    def test_the_checker_thread_runs_at_photo_check_nice_below_the_loop(self):
        server = self.start_server("--photo-check-nice", "7", ready=True)
        pid = server.proc.pid
        tasks = threads(pid)
        loop = [nice for tid, _, nice in tasks if tid == pid][0]
        checkers = [nice - loop for _, name, nice in tasks if name == "photo-check"]
        self.assertEqual(checkers, [7], tasks)


if __name__ == "__main__":
    harness.main()
