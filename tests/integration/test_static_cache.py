"""Static files on a weak network, against the real binary: validators
(ETag, Last-Modified) and 304s on the same keep-alive connection, gzip twins
sent only to browsers that accept gzip and only while they were made from
the file as it is, and HEAD answered like GET without the body."""

import gzip
import os
import time

import harness


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def make_twin(path):
    """FILE.gz as the build makes it (gzip records the file's time and size)."""
    with open(path, "rb") as f:
        data = gzip.compress(f.read(), 9, mtime=int(os.stat(path).st_mtime))
    with open(path + ".gz", "wb") as f:
        f.write(data)


class StaticCacheTest(harness.SuaraTestCase):
    def setUp(self):
        super().setUp()
        self.folder = os.path.join(harness.tmpdir(), "static-cache")
        os.makedirs(os.path.join(self.folder, "js"), exist_ok=True)
        self.page = "<!doctype html><title>t</title>" + "<p>suara</p>" * 200 + "\n"
        self.script = "export const x = 1;\n" * 100
        write(os.path.join(self.folder, "index.html"), self.page)
        self.js = os.path.join(self.folder, "js", "app.js")
        write(self.js, self.script)
        self.server = self.start_server("--static", self.folder, ready=True)

    def test_validators_and_304(self):
        status, headers, body = self.server.get("/js/app.js")
        self.assertEqual((status, body), (200, self.script))
        etag, modified = headers["ETag"], headers["Last-Modified"]
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+\.[0-9a-f]+"$')
        self.assertRegex(modified, r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
        self.assertEqual(headers["Cache-Control"], "no-cache")
        self.assertEqual(headers["Vary"], "accept-encoding")

        status, headers, body = self.server.get("/js/app.js", headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, ""))
        self.assertEqual(headers["ETag"], etag)
        self.assertEqual(headers["Cache-Control"], "no-cache")
        self.assertIsNone(headers.get("Content-Encoding"))
        status, _, body = self.server.get("/js/app.js", headers={"If-Modified-Since": modified})
        self.assertEqual((status, body), (304, ""))
        # The connection is still good for the next request (keep-alive).
        status, _, body = self.server.get("/saksi")
        self.assertEqual((status, body), (200, self.page))
        # Another tag: the file.
        status, _, body = self.server.get("/js/app.js", headers={"If-None-Match": '"other"'})
        self.assertEqual((status, body), (200, self.script))

        # An edit changes the tag, and the old one gets the new file.
        time.sleep(0.01)
        write(self.js, self.script + "// edited\n")
        status, headers, body = self.server.get("/js/app.js", headers={"If-None-Match": etag})
        self.assertEqual((status, body), (200, self.script + "// edited\n"))
        self.assertNotEqual(headers["ETag"], etag)

    def test_gzip_twin(self):
        make_twin(self.js)
        status, headers, raw = self.server.get("/js/app.js", headers={"Accept-Encoding": "gzip, br"})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Encoding"], "gzip")
        self.assertIn("javascript", headers["Content-Type"])
        self.assertLess(int(headers["Content-Length"]), len(self.script) // 4)
        self.assertEqual(gzip.decompress(raw).decode(), self.script)
        self.assertTrue(headers["ETag"].endswith('-gz"'), headers["ETag"])
        gz_tag = headers["ETag"]
        status, headers, _ = self.server.get("/js/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": gz_tag})
        self.assertEqual(status, 304)

        # Refused gzip, or none asked for: the file itself.
        for accept in ("gzip;q=0", "identity", None):
            h = {"Accept-Encoding": accept} if accept else {}
            status, headers, body = self.server.get("/js/app.js", headers=h)
            self.assertEqual((status, body), (200, self.script), accept)
            self.assertIsNone(headers.get("Content-Encoding"), accept)

        # The file changed after the twin was made: the twin is never sent,
        # even when it looks newer (a copy that did not keep the times).
        time.sleep(0.01)
        write(self.js, "export const x = 2;\n")
        os.utime(self.js + ".gz")
        status, headers, body = self.server.get("/js/app.js", headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, body), (200, "export const x = 2;\n"))
        self.assertIsNone(headers.get("Content-Encoding"))

    def test_head(self):
        status, headers, body = self.server.request("HEAD", "/js/app.js")
        self.assertEqual((status, body), (200, ""))
        self.assertEqual(int(headers["Content-Length"]), len(self.script))
        self.assertIn("javascript", headers["Content-Type"])
        self.assertTrue(headers["ETag"])
        status, _, body = self.server.get("/js/app.js")
        self.assertEqual((status, body), (200, self.script))


if __name__ == "__main__":
    harness.main()
