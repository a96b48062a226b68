"""--publish-url: the server publishes the live tallies to real nginx + nchan
edges sharing a real Redis (the shipped docs/deploy/nchan-edge.conf), so that
viewers are served by existing engines, not by the server that counts.

Viewers of a province, a kabupaten/kota and a kecamatan node on either edge
end at exactly the HTTP tally; a late joiner gets the newest state at once;
with the publisher's edge down, acknowledgements go on, the lost messages are
counted, and the edges catch up when it returns; with the edges' Redis away
(nchan answers 503, or not at all), the refused messages are offered again
and reach the edge when Redis is back, long before the minute's refresh."""

import harness
from edges import Edge, Redis
from harness import metric

CONTEST = "gub-62"


class EdgesCase(harness.SuaraTestCase):
    """Two edges sharing a Redis, of this class's own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.redis = Redis()
        cls.edge_a = Edge(cls.redis)
        cls.edge_b = Edge(cls.redis)

    @classmethod
    def tearDownClass(cls):
        cls.edge_a.stop()
        cls.edge_b.stop()
        cls.redis.stop()
        super().tearDownClass()

    def submit(self, server, token, tps_list, tag):
        for i, (tps, dpt) in enumerate(tps_list):
            form = harness.build_form(f"{tag}-{i}", tps, dpt)
            status, _, body = server.post("/api/v1/forms", form, token=token)
            self.assertEqual(status, 201, body)

    def tally(self, server, region):
        status, _, body = server.get(f"/api/v1/tally/{CONTEST}/{region}")
        self.assertEqual(status, 200, body)
        return body

    def assert_edges_match(self, server, regions):
        for region in regions:
            expected = self.tally(server, region)
            self.edge_a.wait_for(CONTEST, region, expected)
            self.edge_b.wait_for(CONTEST, region, expected)


class PublishTest(EdgesCase):
    def test_viewers_on_every_edge_end_at_the_http_tally(self):
        server = self.start_server("--publish-url", self.edge_a.publish_url, "--tick-ms", "50",
                                   ready=True)
        token = self.make_token("witness", "62", server=server)
        tps_list = self.fresh_tps(6, prefix="62.03")
        kecamatan = tps_list[0][0][:8]
        self.submit(server, token, tps_list, "pub")
        # Edge B never heard from the server: it reads what edge A stored in Redis.
        self.assert_edges_match(server, ["62", "62.03", kecamatan])
        self.assertEqual(self.edge_b.latest(CONTEST, kecamatan)["tps"]["counted"],
                         sum(1 for t, _ in tps_list if t.startswith(kecamatan)))
        self.assertGreater(metric(server, "suara_publish_sent_total"), 0)
        self.assertEqual(metric(server, "suara_publish_errors_total"), 0)

    def test_edge_down_does_not_touch_acknowledgements_and_the_edges_catch_up(self):
        server = self.start_server("--publish-url", self.edge_a.publish_url, "--tick-ms", "50",
                                   ready=True)
        token = self.make_token("witness", "62", server=server)
        first, later = self.fresh_tps(3, prefix="62.05"), self.fresh_tps(6, prefix="62.06")
        self.submit(server, token, first, "down-a")
        self.assert_edges_match(server, ["62"])

        self.edge_a.kill()
        try:
            for i, batch in enumerate((later[:3], later[3:])):
                self.submit(server, token, batch, f"down-b{i}")  # every one 201 at once
                harness.wait_until(lambda: metric(server, "suara_publish_errors_total") > 0,
                                   timeout=20, message="the failed publishes to be counted")
            # The second batch's changes supersede the first's, still waiting.
            harness.wait_until(lambda: metric(server, "suara_publish_dropped_total") > 0,
                               timeout=20, message="superseded messages to be counted")
        finally:
            self.edge_a.start()
        # Reconnected, the newest state reaches both edges; a late joiner gets it at once.
        self.assert_edges_match(server, ["62", "62.06", later[0][0][:8]])


class RefusedPublishTest(EdgesCase):
    """The edges' Redis goes away and comes back."""

    def test_refused_messages_are_offered_again(self):
        server = self.start_server("--publish-url", self.edge_a.publish_url, "--tick-ms", "50",
                                   ready=True)
        token = self.make_token("witness", "62", server=server)
        first, later = self.fresh_tps(2, prefix="62.07"), self.fresh_tps(3, prefix="62.08")
        self.submit(server, token, first, "refused-a")
        self.assert_edges_match(server, ["62.07"])
        self.redis.stop()
        try:
            errors = metric(server, "suara_publish_errors_total")
            self.submit(server, token, later, "refused-b")  # every one 201 at once
            harness.wait_until(lambda: metric(server, "suara_publish_errors_total") > errors,
                               timeout=20, message="the refused publishes to be counted")
        finally:
            self.redis.start()
        # Refused, not lost: 62.08 moved while nchan refused it, and gets there
        # now, without waiting for the refresh (60 s).
        self.assert_edges_match(server, ["62", "62.08", later[0][0][:8]])


class LiveUrlTest(harness.SuaraTestCase):
    """--live-url: where the web client reads the live feed, served in GET
    /api/v1/status and allowed by the pages' Content-Security-Policy."""

    def csp(self, server):
        status, headers, _ = server.request("GET", "/")
        self.assertEqual(status, 200)
        return headers["Content-Security-Policy"]

    def test_the_status_names_the_edges_and_the_policy_lets_the_page_reach_them(self):
        server = self.start_server("--live-url", "https://edge.example:8443/live", ready=True)
        status, _, body = server.get("/api/v1/status")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["live_url"], "https://edge.example:8443/live")
        self.assertIn("connect-src 'self' wss://edge.example:8443;", self.csp(server))

    def test_without_it_the_client_reads_this_server(self):
        server = self.start_server(ready=True)
        status, _, body = server.get("/api/v1/status")
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["live_url"])
        self.assertIn("connect-src 'self';", self.csp(server))

    def test_bad_values_are_refused(self):
        for bad in ("edge.example/live", "ftp://edge/live", "http://edge/live/",
                    "http://edge/li ve", 'http://edge/"live'):
            proc = harness.suara("serve", "--db", self.db.conninfo, "--live-url", bad)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("--live-url takes ws://, wss://, http://, https:// or /PATH", proc.stderr)
        proc = harness.suara("serve", "--db", self.db.conninfo, "--live-url", "/live",
                             "--private-reads")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn("--live-url and --private-reads do not go together", proc.stderr)


if __name__ == "__main__":
    harness.main()
