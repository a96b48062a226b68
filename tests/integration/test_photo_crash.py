"""Crash safety of photos: `suara serve` is killed with SIGKILL while
witnesses upload, then restarted on the same database. Every photo that got
a 201 or 200 before the kill is served afterwards, byte for byte; the
uploads cut off by the kill are sent again (as the witness page does, with
the same bytes) and then every photo is stored exactly once."""

import hashlib
import http.client
import threading

import harness
import images

THREADS = 4
PER_THREAD = 30
KILL_AFTER = 25  # acknowledged uploads before the kill


class PhotoCrashTest(harness.SuaraTestCase):
    def upload(self, server, token, data):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        try:
            conn.request("PUT", f"/api/v1/photos/{images.sha256(data)}", body=data,
                         headers={"Content-Type": "image/jpeg",
                                  "Authorization": f"Bearer {token}"})
            resp = conn.getresponse()
            resp.read()
            return resp.status
        except OSError:
            return None  # the server died under this upload
        finally:
            conn.close()

    def test_every_acknowledged_photo_survives_kill_9(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62", server=server)
        photos = [images.noisy_jpeg(160, 120, seed=1000 + i)
                  for i in range(THREADS * PER_THREAD)]
        acked, lock = [], threading.Lock()
        enough = threading.Event()

        def witness(mine):
            for data in mine:
                status = self.upload(server, token, data)
                if status in (200, 201):
                    with lock:
                        acked.append(data)
                        if len(acked) >= KILL_AFTER:
                            enough.set()
                elif status is None or status == 503:
                    return  # the server is gone: this witness stops for now

        threads = [threading.Thread(target=witness, args=(photos[t::THREADS],))
                   for t in range(THREADS)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(120), "no uploads acknowledged")
        server.kill()
        for t in threads:
            t.join(60)
        with lock:
            acked_now = list(acked)
        self.assertGreaterEqual(len(acked_now), KILL_AFTER)

        server.start(ready=True)
        harness.wait_until(lambda: server.get("/api/v1/photos/" + "0" * 64)[0] == 404,
                           timeout=30, message="the photo index to load")
        for data in acked_now:
            status, _, body = server.get(f"/api/v1/photos/{images.sha256(data)}")
            self.assertEqual(status, 200, f"an acknowledged photo is lost: {body}")
            self.assertEqual(body, data)
        # The witnesses resend what they have no answer for: 200 for an upload
        # that had committed before the kill without being answered, else 201.
        stored = set(self.value("SELECT string_agg(sha256, ',') FROM photos").split(","))
        for data in photos:
            if data not in acked_now:
                want = 200 if images.sha256(data) in stored else 201
                self.assertEqual(self.upload(server, token, data), want)
        rows = dict(self.rows("SELECT sha256, md5(data) FROM photos"))
        self.assertEqual(rows, {images.sha256(d): hashlib.md5(d).hexdigest() for d in photos})

if __name__ == "__main__":
    harness.main()
