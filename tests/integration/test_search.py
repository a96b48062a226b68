"""GET /api/v1/search: regions and TPS by name or code for the search box on
every page, against the Kalimantan Tengah data: ranking (exact, prefix, word,
anywhere; higher levels first), TPS by desa name and number, code prefixes,
the filler words people type, limits and errors, and private reads."""

import urllib.parse

import harness


class SearchTest(harness.ServedTestCase):
    def search(self, q, status=200, **params):
        query = urllib.parse.urlencode({"q": q, **params})
        got, headers, body = self.server.get(f"/api/v1/search?{query}")
        self.assertEqual(got, status, body)
        return body if status != 200 else (body, headers)

    def codes(self, q, **params):
        body, _ = self.search(q, **params)
        return [r["code"] for r in body["results"]]

    def test_names_rank_exact_then_prefix_then_word_then_inside(self):
        body, headers = self.search("kapuas")
        self.assertEqual(body["query"], "kapuas")
        first = body["results"][0]
        self.assertEqual(first, {"code": "62.03", "name": "Kabupaten Kapuas", "level": "kabupaten", "in": ""})
        # then the kecamatan whose names start with Kapuas, in code order
        kec = self.rows("SELECT code FROM regions WHERE level = 'kecamatan' AND name LIKE 'Kapuas%' ORDER BY code")
        self.assertEqual([r["code"] for r in body["results"][1:1 + len(kec)]], [c for (c,) in kec])
        self.assertEqual(headers.get("cache-control"), "public, max-age=300")
        # a kecamatan named exactly beats the desa that start with its name
        self.assertEqual(self.codes("kumai")[0], "62.01.01")
        self.assertEqual(self.codes("kec. kumai")[0], "62.01.01")
        self.assertEqual(self.codes("KOTA palangkaraya")[0], "62.71")

    def test_every_result_matches_and_names_where_it_lies(self):
        body, _ = self.search("hilir", limit=50)
        want = self.rows("SELECT code FROM regions WHERE name ILIKE '%hilir%'")
        self.assertLess(len(want), 50)
        self.assertEqual(sorted(r["code"] for r in body["results"]), sorted(c for (c,) in want))
        for r in body["results"]:
            self.assertIn("hilir", r["name"].lower())
        self.assertEqual(len(self.codes("hilir", limit=5)), 5)
        desa = next(r for r in body["results"] if r["level"] == "desa")
        kec = self.value(f"SELECT k.name FROM regions d JOIN regions k ON k.code = d.parent WHERE d.code = '{desa['code']}'")
        self.assertTrue(desa["in"].startswith(kec + ", "), desa)

    def test_tps_by_desa_and_number_and_codes(self):
        self.assertEqual(self.codes("candi 1"), ["62.01.01.1011.001"])
        self.assertEqual(self.codes("TPS 003 Candi"), ["62.01.01.1011.003"])
        self.assertEqual(self.codes("candi 999"), [])
        body, _ = self.search("62.01.01.1011.001")
        self.assertEqual(body["results"], [{"code": "62.01.01.1011.001", "name": "TPS 001", "level": "tps",
                                            "in": "Candi, Kumai, Kotawaringin Barat"}])
        got = self.codes("62.03.01", limit=3)
        self.assertEqual(got[0], "62.03.01")
        self.assertTrue(all(c.startswith("62.03.01") for c in got))
        got = self.codes("62.03.01 selat", limit=50)
        want = self.rows("SELECT code FROM regions WHERE code LIKE '62.03.01%' AND name ILIKE '%selat%'")
        self.assertEqual(got[0], "62.03.01")
        self.assertEqual(sorted(got), sorted(c for (c,) in want))

    def test_bad_queries(self):
        for q in ("", "a", "   ", "kabupaten", "tps"):
            body = self.search(q, status=400)
            self.assertEqual(body["error"]["code"], "bad_query", q)
        self.assertEqual(self.search("x" * 65, status=400)["error"]["code"], "bad_query")
        for limit in ("0", "51", "x", "-1"):
            self.assertEqual(self.search("kapuas", status=400, limit=limit)["error"]["code"], "bad_limit")
        self.assertEqual(len(self.codes("a" * 64)), 0)
        self.assertEqual(len(self.codes("kapuas", limit=2)), 2)
        status, _, body = self.server.post("/api/v1/search?q=kapuas", {})
        self.assertEqual(status, 405, body)

    def test_private_reads_need_a_token(self):
        self.server.stop()
        try:
            private = self.start_server("--private-reads", ready=True)
            status, _, body = private.get("/api/v1/search?q=kapuas")
            self.assertEqual((status, body["error"]["code"]), (401, "missing_token"))
            token = self.make_token("monitor", "62", server=private)
            status, headers, body = private.get("/api/v1/search?q=kapuas", token=token)
            self.assertEqual(status, 200, body)
            self.assertNotIn("public", headers.get("cache-control", ""))
            private.stop()
        finally:
            type(self).server = harness.Server(self.db, ready=True)


if __name__ == "__main__":
    harness.main()
