"""One server per database: a second `suara serve` on the same database stays
not ready (and so never writes) while the first holds it, and takes over once
the first has stopped."""

import harness


class SingleWriterTest(harness.SuaraTestCase):
    def test_second_server_waits_for_the_first(self):
        first = self.start_server(ready=True)
        second = self.start_server()

        def refused():
            answer = second.get("/readyz")
            return answer if "another suara serve" in answer[2].get("reason", "") else None

        status, headers, body = harness.wait_until(refused, message="the second server to give way")
        self.assertEqual(status, 503, body)
        self.assertIn("another suara serve", body["reason"])
        self.assertIn("Retry-After", headers)
        token = self.make_token("witness", "62")
        status, _, body = second.post("/api/v1/forms", {"submission_id": "x"}, token=token)
        self.assertEqual(status, 503, body)
        self.assertEqual(body["error"]["code"], "not_ready")

        first.stop()
        # The second retries its load every few seconds and then serves.
        second.wait_for("/readyz", timeout=15)
        status, _, body = second.get("/readyz")
        self.assertEqual((status, body["status"]), (200, "ready"))


if __name__ == "__main__":
    harness.main()
