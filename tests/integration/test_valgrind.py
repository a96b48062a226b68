"""The server under valgrind's memcheck: start, load the province, answer
reads, take forms (counted, held, a retry, a review decision), serve a live
subscriber on its own port and another on the live thread's (--live-listen),
store a photo (checked on the checker's thread), then stop on SIGTERM with the second still connected. Memcheck must report no
errors and no definitely or indirectly lost memory at exit."""

import json
import re
import shutil
import signal

import harness
import images


class ValgrindServer(harness.Server):
    def command(self):
        return ["valgrind", "--tool=memcheck", "--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                "--show-leak-kinds=definite,indirect", "--error-exitcode=99",
                "--track-fds=no", *super().command()]


class ValgrindTest(harness.SuaraTestCase):
    def test_no_leaks_and_no_errors(self):
        self.assertIsNotNone(shutil.which("valgrind"), "valgrind is not installed")
        live_port = harness.free_port()
        server = ValgrindServer(self.db, "--live-listen", f"127.0.0.1:{live_port}", timeout=120)
        self.addCleanup(self._stop_if_running, server)
        server.wait_for("/readyz", timeout=120)
        witness = self.make_token("witness", "62.01.01.1011")
        reviewer = self.make_token("reviewer", "62")
        server.wait_for_token(witness, timeout=60)
        server.wait_for_token(reviewer, timeout=60)

        for path, status in (("/api/v1/contests", 200), ("/api/v1/regions/62", 200),
                             ("/api/v1/tally/gub-62/62", 200),
                             ("/api/v1/export/gub-62.csv?level=kabupaten", 200), ("/metrics", 200),
                             ("/nope.js", 404)):
            self.assertEqual(server.get(path, timeout=60)[0], status, path)

        ws = server.ws(timeout=60)
        ws.send(json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62"}))
        self.assertEqual(harness.ws_recv_json(ws, timeout=60)["type"], "snapshot")
        on_thread = server.ws(timeout=60, port=live_port)
        on_thread.send(json.dumps({"type": "subscribe", "contest": "gub-62", "region": "62"}))
        self.assertEqual(harness.ws_recv_json(on_thread, timeout=60)["type"], "snapshot")

        good = harness.build_form("vg-good", "62.01.01.1011.001", 501)
        status, _, first = server.post("/api/v1/forms", good, token=witness, timeout=60)
        self.assertEqual(status, 201, first)
        self.assertEqual(server.post("/api/v1/forms", good, token=witness, timeout=60)[0], 200)
        held = harness.build_form("vg-held", "62.01.01.1011.002", 478)
        held["valid"] += 1
        held["total"] += 1
        status, _, body = server.post("/api/v1/forms", held, token=witness, timeout=60)
        self.assertEqual((status, body["status"]), (201, "held"), body)
        status, _, body = server.post(f"/api/v1/forms/{body['form_id']}/decision",
                                      {"decision": "reject", "reason": "angka tidak cocok"},
                                      token=reviewer, timeout=60)
        self.assertEqual(status, 200, body)
        self.assertEqual(harness.ws_recv_json(ws, timeout=60)["type"], "update")
        self.assertEqual(harness.ws_recv_json(on_thread, timeout=60)["type"], "update")
        photo = images.jpeg(seed=80)
        status, _, body = server.request("PUT", f"/api/v1/photos/{images.sha256(photo)}", photo,
                                         headers={"Content-Type": "image/jpeg"}, token=witness,
                                         timeout=60)
        self.assertEqual(status, 201, body)
        ws.close()  # on_thread stays connected through the stop

        server.proc.send_signal(signal.SIGTERM)
        code = server.proc.wait(timeout=120)
        on_thread.close()
        log = server.log()
        summary = re.findall(r"ERROR SUMMARY: (\d+) errors", log)
        self.assertTrue(summary, "no memcheck summary in the log")
        self.assertEqual(summary[-1], "0", harness_tail(log))
        self.assertNotRegex(log, r"definitely lost: [1-9]", harness_tail(log))
        self.assertNotRegex(log, r"indirectly lost: [1-9]", harness_tail(log))
        self.assertEqual(code, 0, harness_tail(log))


def harness_tail(log, lines=60):
    return "\n".join(log.splitlines()[-lines:])


if __name__ == "__main__":
    harness.main()
