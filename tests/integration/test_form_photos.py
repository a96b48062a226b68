"""Forms that carry photos (contract: "Photos of the C.Hasil plano"): the
`photos` list and the `photo_sha256` shorthand with their 422s, a form that
arrives before its photos, the `photos: [{sha256, stored}]` of the TPS, form
and review views, and every tally node's `tps.with_photo`, which moves when the
last page of a counted form arrives and survives a restart."""

import harness
import images

SCOPE = "62.02"


class FormPhotosTest(harness.SuaraTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = harness.Server(cls.db)
        cls.server.wait_for("/readyz")
        cls.witness = cls.db.make_token("witness", SCOPE)
        cls.reviewer = cls.db.make_token("reviewer", SCOPE)
        cls.server.wait_for_token(cls.reviewer)

    @classmethod
    def tearDownClass(cls):
        if cls.server.running:
            cls.server.stop()
        super().tearDownClass()

    def put_photo(self, data, ctype="image/jpeg"):
        status, _, body = self.server.request("PUT", f"/api/v1/photos/{images.sha256(data)}",
                                              data, headers={"Content-Type": ctype},
                                              token=self.witness)
        self.assertEqual(status, 201, body)  # every photo here is new
        return body["sha256"]

    def submit(self, form, status=201):
        got, _, body = self.server.post("/api/v1/forms", form, token=self.witness)
        self.assertEqual(got, status, body)
        return body

    def lacks_photo(self, tps):
        """Whether the desk's no_photo worklist names the TPS."""
        status, _, body = self.server.get(f"/api/v1/worklist/gub-62/{tps[:13]}?status=no_photo"
                                          "&limit=1000")
        self.assertEqual(status, 200, body)
        return tps in [i["tps"] for i in body["items"]]

    def tps_node(self, tps):
        return self.server.get(f"/api/v1/tally/gub-62/{tps}")[2]["tps"]

    def counted_photos(self, tps):
        _, _, view = self.server.get(f"/api/v1/tps/{tps}")
        gub = next(c for c in view["contests"] if c["contest"] == "gub-62")
        return gub["counted"]["photos"]

    def test_form_before_its_photos_then_with_photo_moves_up_the_tree(self):
        (tps, dpt), = self.fresh_tps(1, SCOPE)
        page1, page2 = images.jpeg(64, 48, seed=101), images.jpeg(64, 48, seed=102)
        h1, h2 = images.sha256(page1), images.sha256(page2)
        kab_before = self.server.get(f"/api/v1/tally/gub-62/{SCOPE}")[2]["tps"]["with_photo"]
        receipt = self.submit(dict(harness.build_form("fp-" + tps, tps, dpt), photos=[h1, h2]))
        self.assertEqual(receipt["status"], "counted")
        self.assertEqual(self.counted_photos(tps), [{"sha256": h1, "stored": False},
                                                    {"sha256": h2, "stored": False}])
        self.assertEqual(self.tps_node(tps)["with_photo"], 0)
        self.put_photo(page1)
        self.assertEqual(self.counted_photos(tps)[0], {"sha256": h1, "stored": True})
        self.assertEqual(self.tps_node(tps)["with_photo"], 0)  # page 2 is still missing
        self.assertTrue(self.lacks_photo(tps))
        self.put_photo(page2)
        self.assertEqual(self.tps_node(tps)["with_photo"], 1)
        self.assertFalse(self.lacks_photo(tps))
        _, _, kab = self.server.get(f"/api/v1/tally/gub-62/{SCOPE}")
        self.assertEqual(kab["tps"]["with_photo"], kab_before + 1)
        _, _, shown = self.server.get(f"/api/v1/forms/{receipt['form_id']}")
        self.assertEqual(shown["photos"], [{"sha256": h1, "stored": True},
                                           {"sha256": h2, "stored": True}])
        self.assertEqual(self.value(f"SELECT array_to_string(photos, ',') FROM forms "
                                    f"WHERE id = {receipt['form_id']}"), f"{h1},{h2}")
        # A correction without photos takes the TPS out of with_photo again.
        self.submit(harness.build_form("fp2-" + tps, tps, dpt, shift=1))
        self.assertEqual(self.tps_node(tps)["with_photo"], 0)
        self.assertTrue(self.lacks_photo(tps))

    def test_photos_already_stored_count_at_once(self):
        (tps, dpt), = self.fresh_tps(1, SCOPE)
        h = self.put_photo(images.png(30, 20, seed=103), "image/png")
        self.submit(dict(harness.build_form("fs-" + tps, tps, dpt), photo_sha256=h.upper()))
        self.assertEqual(self.counted_photos(tps), [{"sha256": h, "stored": True}])
        self.assertEqual(self.tps_node(tps)["with_photo"], 1)

    def test_review_list_shows_the_held_forms_photos(self):
        (tps, dpt), = self.fresh_tps(1, SCOPE)
        h = self.put_photo(images.jpeg(40, 40, seed=104))
        held = harness.build_form("fh-" + tps, tps, dpt)
        held["votes"]["1"] += 1  # valid_sum fails: held
        receipt = self.submit(dict(held, photos=[h]))
        self.assertEqual(receipt["status"], "held")
        _, _, review = self.server.get(f"/api/v1/review?contest=gub-62&region={tps}",
                                       token=self.reviewer)
        item = next(i for i in review["forms"] if i["form_id"] == receipt["form_id"])
        self.assertEqual(item["photos"], [{"sha256": h, "stored": True}])
        self.assertEqual(self.tps_node(tps)["with_photo"], 0)  # nothing counted

    def test_photo_rules_are_422(self):
        (tps, dpt), = self.fresh_tps(1, SCOPE)
        base = harness.build_form("fr-" + tps, tps, dpt)
        h = "ab" * 32
        cases = [
            (dict(base, photos=[h], photo_sha256=h), {"field": "photo_sha256", "code": "conflict"}),
            (dict(base, photos=[h] * 9), {"field": "photos", "code": "too_many"}),
            (dict(base, photos=[]), {"field": "photos", "code": "empty"}),
            (dict(base, photos=[h, h.upper()]), {"field": "photos.1", "code": "bad_format"}),
            (dict(base, photos=[h[:63]]), {"field": "photos.0", "code": "bad_format"}),
            (dict(base, photos=h), {"field": "photos", "code": "not_array"}),
        ]
        for body, detail in cases:
            got = self.submit(body, status=422)
            self.assertEqual(got["error"]["code"], "invalid_form")
            self.assertEqual(got["error"]["details"], [detail], body.get("photos"))
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE tps = '{tps}'"), "0")

    def test_eight_pages_and_the_same_form_again(self):
        (tps, dpt), = self.fresh_tps(1, SCOPE)
        hashes = [images.sha256(bytes([i])) for i in range(8)]
        form = dict(harness.build_form("f8-" + tps, tps, dpt), photos=hashes)
        first = self.submit(form)
        status, _, again = self.server.post("/api/v1/forms", form, token=self.witness)
        self.assertEqual((status, again), (200, first))
        status, _, other = self.server.post("/api/v1/forms", dict(form, photos=hashes[::-1]),
                                            token=self.witness)
        self.assertEqual((status, other["error"]["code"]), (409, "submission_id_reused"))


class WithPhotoRestartTest(harness.SuaraTestCase):
    def test_with_photo_and_stored_flags_survive_a_restart(self):
        server = self.start_server(ready=True)
        witness = self.make_token("witness", SCOPE, server=server)
        (tps, dpt), (tps2, dpt2) = self.fresh_tps(2, SCOPE)
        data = images.webp(20, 20, seed=105)
        h = images.sha256(data)
        status, _, _ = server.request("PUT", f"/api/v1/photos/{h}", data,
                                      headers={"Content-Type": "image/webp"}, token=witness)
        self.assertEqual(status, 201)
        for t, d, pages in ((tps, dpt, [h]), (tps2, dpt2, [h, "00" * 32])):
            status, _, body = server.post("/api/v1/forms", dict(
                harness.build_form("wr-" + t, t, d), photos=pages), token=witness)
            self.assertEqual(status, 201, body)
        _, _, before = server.get(f"/api/v1/tally/gub-62/{SCOPE}")
        self.assertEqual(server.get(f"/api/v1/tally/gub-62/{tps}")[2]["tps"]["with_photo"], 1)
        self.assertEqual(server.get(f"/api/v1/tally/gub-62/{tps2}")[2]["tps"]["with_photo"], 0)
        server.stop()
        server.start(ready=True)
        harness.wait_until(lambda: server.get(f"/api/v1/tally/gub-62/{SCOPE}")[2] == before,
                           timeout=20, message="the same tally, with_photo too, after a restart")
        self.assertEqual(server.get(f"/api/v1/tally/gub-62/{tps}")[2]["tps"]["with_photo"], 1)


if __name__ == "__main__":
    harness.main()
