"""The witnesses' cards from the admin side: POST /api/v1/tokens/cards makes a
witness token for every TPS of a kecamatan (or desa, or TPS) and answers one
card per TPS, with the link and its QR code's modules; every token is stored
with its audit event, works for its own TPS only, and is refused to anyone
but an admin, for a region too large, or with a bad body. New cards for a TPS
replace its earlier ones: every witness token of exactly that TPS is revoked
in the same transaction, named in the answer, and refused from the 201 on."""

import harness

BASE = "https://saksi.example.org"


class TokenCardsTest(harness.ServedTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.db.make_token("admin", "62", "admin kartu")
        cls.server.wait_for_token(cls.admin)

    def kecamatan(self):
        """The first kecamatan of Palangka Raya and its TPS count."""
        status, _, kota = self.server.get("/api/v1/regions/62.71")
        self.assertEqual(status, 200, kota)
        code = kota["children"][0]["code"]
        status, _, kec = self.server.get(f"/api/v1/regions/{code}")
        self.assertEqual(status, 200, kec)
        return code, kec["tps_count"]

    def test_a_card_per_tps_whose_token_works_for_that_tps(self):
        code, n = self.kecamatan()
        before = int(self.value("SELECT count(*) FROM tokens"))
        status, headers, body = self.server.post(
            "/api/v1/tokens/cards", {"region": code, "base_url": BASE + "/"}, token=self.admin)
        self.assertEqual(status, 201, body)
        self.assertEqual(headers["Cache-Control"], "no-store")
        self.assertEqual(body["region"]["region"], code)
        cards = body["cards"]
        self.assertEqual(len(cards), n)
        self.assertEqual([c["tps"] for c in cards], sorted(c["tps"] for c in cards))
        self.assertEqual(len({c["token"] for c in cards}), n, "a new token per card")
        first = cards[0]
        self.assertEqual(first["link"], f"{BASE}/saksi#t={first['token']}")
        self.assertRegex(first["token"], r"^sk_[A-Za-z0-9_-]{43}$")
        width = first["qr"]["width"]
        self.assertGreaterEqual(width, 21)
        self.assertRegex(first["qr"]["modules"], "^[01]{%d}$" % (width * width))
        self.assertEqual(first["qr"]["modules"][:7], "1111111", "a finder pattern at the top left")
        self.assertTrue(first["name"].startswith("TPS "))
        self.assertTrue(first["desa"] and first["kecamatan"] and first["kabupaten"], first)

        self.assertEqual(body["revoked"], [], "nothing to replace in a kecamatan without cards")
        self.assertEqual(int(self.value("SELECT count(*) FROM tokens")), before + n)
        rows = self.rows(f"SELECT role, scope FROM tokens WHERE scope LIKE '{code}.%' "
                         "AND name LIKE 'Saksi TPS %' ORDER BY scope")
        self.assertEqual([list(r) for r in rows], [["witness", c["tps"]] for c in cards])
        audited = int(self.value("SELECT count(*) FROM audit WHERE kind = 'token_created' "
                                 f"AND detail->>'by' = 'cards' AND detail->>'scope' LIKE '{code}.%'"))
        self.assertEqual(audited, n)

        # Known from the 201 on, without waiting for the reload.
        status, _, who = self.server.get("/api/v1/whoami", token=first["token"])
        self.assertEqual(status, 200, who)
        self.assertEqual((who["role"], who["scope"]), ("witness", first["tps"]))
        self.assertGreater(n, 1)
        status, _, who = self.server.get("/api/v1/whoami", token=cards[1]["token"])
        self.assertEqual(who["scope"], cards[1]["tps"])

    def test_new_cards_for_a_tps_revoke_its_earlier_witness_tokens(self):
        status, _, kota = self.server.get("/api/v1/regions/62.71")
        status, _, kec = self.server.get(f"/api/v1/regions/{kota['children'][1]['code']}")
        status, _, desa = self.server.get(f"/api/v1/regions/{kec['children'][0]['code']}")
        self.assertEqual(status, 200, desa)
        tps = desa["children"][0]["code"]
        status, _, first = self.server.post(
            "/api/v1/tokens/cards", {"region": tps, "base_url": BASE}, token=self.admin)
        self.assertEqual(status, 201, first)
        old_card = first["cards"][0]
        by_cli = self.make_token("witness", tps, "saksi kedua", server=self.server)
        for_desa = self.make_token("witness", desa["code"], "koordinator desa", server=self.server)
        old_ids = [int(r[0]) for r in self.rows(
            f"SELECT id FROM tokens WHERE scope = '{tps}' AND revoked_at IS NULL ORDER BY id")]
        self.assertEqual(len(old_ids), 2)

        status, _, second = self.server.post(
            "/api/v1/tokens/cards", {"region": tps, "base_url": BASE}, token=self.admin)
        self.assertEqual(status, 201, second)
        self.assertEqual(second["revoked"], [
            {"id": old_ids[0], "tps": tps, "name": old_card["token_name"]},
            {"id": old_ids[1], "tps": tps, "name": "saksi kedua"},
        ])
        # Refused from the 201 on, without waiting for the reload; the new
        # card and the desa's token work.
        for token in (old_card["token"], by_cli):
            status, _, body = self.server.get("/api/v1/whoami", token=token)
            self.assertEqual(status, 401, body)
        status, _, who = self.server.get("/api/v1/whoami", token=second["cards"][0]["token"])
        self.assertEqual((status, who["scope"]), (200, tps))
        status, _, who = self.server.get("/api/v1/whoami", token=for_desa)
        self.assertEqual((status, who["scope"]), (200, desa["code"]))
        self.assertEqual([int(r[0]) for r in self.rows(
            "SELECT detail->>'id' FROM audit WHERE kind = 'token_revoked' AND detail->>'by' = 'cards'"
            f" AND detail->>'scope' = '{tps}' ORDER BY (detail->>'id')::int")], old_ids)
        self.assertEqual(self.value(
            f"SELECT count(*) FROM tokens WHERE scope = '{tps}' AND revoked_at IS NULL"), "1")
        # Still refused after the reload that the notification brings: a
        # token made later is known only once a reload after it has run.
        self.make_token("witness", "62.71", "later", server=self.server)
        status, _, body = self.server.get("/api/v1/whoami", token=old_card["token"])
        self.assertEqual(status, 401, body)

    def test_only_an_admin_within_its_scope(self):
        code, _ = self.kecamatan()
        reviewer = self.make_token("reviewer", "62", server=self.server)
        status, _, body = self.server.post(
            "/api/v1/tokens/cards", {"region": code, "base_url": BASE}, token=reviewer)
        self.assertEqual((status, body["error"]["code"]), (403, "forbidden"))
        status, _, body = self.server.post("/api/v1/tokens/cards", {"region": code, "base_url": BASE})
        self.assertEqual((status, body["error"]["code"]), (401, "missing_token"))
        other_admin = self.make_token("admin", "62.01", server=self.server)
        status, _, body = self.server.post(
            "/api/v1/tokens/cards", {"region": code, "base_url": BASE}, token=other_admin)
        self.assertEqual((status, body["error"]["code"]), (403, "forbidden"))

    def test_bad_requests_make_no_token(self):
        code, _ = self.kecamatan()
        before = int(self.value("SELECT count(*) FROM tokens"))
        cases = [
            ({"region": "62", "base_url": BASE}, 422, "invalid_cards", ("region", "too_many_tps")),
            ({"region": code, "base_url": "javascript:alert(1)"}, 422, "invalid_cards", ("base_url", "bad_format")),
            ({"region": code, "base_url": BASE + "/?x=1"}, 422, "invalid_cards", ("base_url", "bad_format")),
            ({"region": code}, 422, "invalid_cards", ("base_url", "missing")),
            ({"region": code, "base_url": BASE, "role": "admin"}, 422, "invalid_cards", ("role", "unknown_field")),
            ({"region": code, "base_url": BASE, "name": "x\n"}, 422, "invalid_cards", ("name", "bad_encoding")),
            ({"region": "62.99.99", "base_url": BASE}, 404, "not_found", None),
        ]
        for body, status, err, detail in cases:
            got, _, answer = self.server.post("/api/v1/tokens/cards", body, token=self.admin)
            self.assertEqual((got, answer["error"]["code"]), (status, err), body)
            if detail:
                self.assertIn({"field": detail[0], "code": detail[1]},
                              [{"field": d["field"], "code": d["code"]} for d in answer["error"]["details"]], body)
        got, _, answer = self.server.post("/api/v1/tokens/cards", "[1]", token=self.admin)
        self.assertEqual((got, answer["error"]["code"]), (400, "malformed_json"))
        got, _, answer = self.server.get("/api/v1/tokens/cards", token=self.admin)
        self.assertEqual(got, 405)
        self.assertEqual(int(self.value("SELECT count(*) FROM tokens")), before)


if __name__ == "__main__":
    harness.main()
