"""The review desk beside the contract's list and decision: claims on a form
(two reviewers never decide the same form; claims expire and are bounded in
all and per token), the fields the list adds (desa and kecamatan names, the
witness's token name, the size of the difference, the claim, the requests),
and the third answer, a request to the witness for a new photo or a recount
note: stored before its 201, shown on the TPS's requests, kept over a
restart, bounded per form."""

import json
import time

import harness
from harness import build_form

GUB = "gub-62"


def break_valid_sum(form, by=1):
    f = json.loads(json.dumps(form))
    f["votes"]["1"] += by
    return f


class ReviewDeskTest(harness.SuaraTestCase):
    def setUp(self):
        # claims that outlive any slow test; expiry has a server of its own
        self.server = self.start_server("--claim-s", "3600", "--claims-per-token", "2",
                                        "--max-claims", "4", ready=True)

    def token(self, role, scope, name=""):
        return self.make_token(role, scope, name, server=self.server)

    def submit(self, form, token):
        status, _, body = self.server.post("/api/v1/forms", form, token=token)
        self.assertEqual(status, 201, body)
        return body

    def held_forms(self, n, prefix):
        """n held forms (valid_sum off by 1) in one desa, and the desa code."""
        picks = self.fresh_tps(n, prefix, same_desa=True)
        witness = self.token("witness", picks[0][0][:13], "saksi Budi")
        ids = []
        for tps, dpt in picks:
            body = self.submit(break_valid_sum(build_form(f"h-{tps}", tps, dpt)), witness)
            self.assertEqual(body["status"], "held")
            ids.append(body["form_id"])
        return ids, picks, witness

    def claim(self, form_id, token, method="POST"):
        return self.server.request(method, f"/api/v1/forms/{form_id}/claim", token=token)

    def decide(self, form_id, token, decision="count"):
        return self.server.post(f"/api/v1/forms/{form_id}/decision",
                                {"decision": decision, "reason": "cocok dengan foto"}, token=token)

    def queue(self, token, region):
        status, _, body = self.server.get(f"/api/v1/review?region={region}", token=token)
        self.assertEqual(status, 200, body)
        return {f["form_id"]: f for f in body["forms"]}

    def test_two_reviewers_never_decide_the_same_form(self):
        (form_id, second), picks, _ = self.held_forms(2, "62.05")
        kec = picks[0][0][:8]
        ana = self.token("reviewer", kec, "pemeriksa Ana")
        bima = self.token("reviewer", kec, "pemeriksa Bima")
        status, _, a = self.claim(form_id, ana)
        self.assertEqual(status, 200, a)
        self.assertEqual((a["form_id"], a["name"]), (form_id, "pemeriksa Ana"))
        self.assertRegex(a["expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

        status, _, b = self.claim(form_id, bima)
        self.assertEqual(status, 409, b)
        self.assertEqual(b["error"]["code"], "claimed")
        self.assertEqual(b["error"]["details"][0]["token_id"], a["token_id"])
        self.assertEqual(b["error"]["details"][0]["name"], "pemeriksa Ana")
        status, _, body = self.decide(form_id, bima)
        self.assertEqual((status, body["error"]["code"]), (409, "claimed"))
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {form_id}"), "held")
        self.assertEqual(self.queue(bima, kec)[form_id]["claim"]["name"], "pemeriksa Ana")
        self.assertIsNone(self.queue(bima, kec)[second]["claim"])

        # renewing is the holder's; releasing is the holder's only
        status, _, again = self.claim(form_id, ana)
        self.assertEqual(status, 200, again)
        self.assertGreaterEqual(again["expires_at"], a["expires_at"])
        status, _, body = self.claim(form_id, bima, "DELETE")
        self.assertEqual((status, body["error"]["code"]), (409, "not_claimed"))
        status, _, body = self.claim(form_id, ana, "DELETE")
        self.assertEqual((status, body), (200, {"released": True}))

        # now Bima takes it and decides; the claim goes with the decision
        self.assertEqual(self.claim(form_id, bima)[0], 200)
        status, _, body = self.decide(form_id, bima)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {form_id}"), "counted")
        status, _, body = self.claim(form_id, ana)
        self.assertEqual((status, body["error"]["code"]), (409, "not_pending"))
        self.assertNotIn(form_id, self.queue(ana, kec))

    def test_who_may_claim(self):
        (form_id,), picks, witness = self.held_forms(1, "62.06")
        outsider = self.token("reviewer", "62.01")
        for token, want in ((None, 401), ("sk_" + "C" * 43, 401), (witness, 403),
                            (self.token("monitor", "62"), 403), (outsider, 403)):
            status, _, body = self.claim(form_id, token)
            self.assertEqual(status, want, body)
            self.assertIn("code", body["error"])
        reviewer = self.token("reviewer", "62")
        self.assertEqual(self.claim(999999999, reviewer)[0], 404)
        status, headers, _ = self.claim(form_id, reviewer, "GET")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "POST, DELETE")
        self.assertEqual(self.server.get(f"/api/v1/forms/{form_id}/claimx", token=reviewer)[0], 404)

    def test_claims_are_bounded(self):
        ids, picks, _ = self.held_forms(4, "62.07")
        kec = picks[0][0][:8]
        ana = self.token("reviewer", kec, "Ana")
        bima = self.token("reviewer", kec, "Bima")
        self.assertEqual(self.claim(ids[0], ana)[0], 200)
        self.assertEqual(self.claim(ids[1], ana)[0], 200)
        status, _, body = self.claim(ids[2], ana)  # two per token
        self.assertEqual((status, body["error"]["code"]), (429, "too_many_claims"))
        self.assertEqual(self.claim(ids[0], ana)[0], 200)  # renewing is no new claim
        self.assertEqual(self.claim(ids[2], bima)[0], 200)
        self.assertEqual(self.claim(ids[3], bima)[0], 200)
        # four in all: a fifth form cannot be claimed while they live
        (fifth,), _, _ = self.held_forms(1, "62.08")
        status, _, body = self.claim(fifth, self.token("reviewer", "62"))
        self.assertEqual((status, body["error"]["code"]), (503, "claims_full"))
        self.assertEqual(self.claim(ids[1], ana, "DELETE")[0], 200)
        self.assertEqual(self.claim(fifth, self.token("reviewer", "62"))[0], 200)

    def test_claims_expire(self):
        self.server.stop()
        self.server = self.start_server("--claim-s", "1", "--max-claims", "1", ready=True)
        (form_id, other), picks, _ = self.held_forms(2, "62.11")
        kec = picks[0][0][:8]
        ana = self.token("reviewer", kec, "Ana")
        cita = self.token("reviewer", kec, "Cita")
        self.assertEqual(self.claim(form_id, ana)[0], 200)
        time.sleep(1.5)  # past --claim-s: gone by itself, and its room is free again
        self.assertIsNone(self.queue(cita, kec)[form_id]["claim"])
        status, _, body = self.claim(other, cita)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.claim(form_id, ana, "DELETE")[0], 409)

    def test_queue_fields_names_difference(self):
        picks = self.fresh_tps(2, "62.09", same_desa=True)
        (t1, d1), (t2, d2) = picks
        witness = self.token("witness", t1[:13], "saksi Dewi")
        other = self.token("witness", t1[:13], "saksi Eko")
        held = self.submit(break_valid_sum(build_form(f"q-h-{t1}", t1, d1), by=7), witness)
        counted = build_form(f"q-c-{t2}", t2, d2)
        self.submit(counted, witness)
        moved = build_form(f"q-d-{t2}", t2, d2, shift=1)
        disputed = self.submit(moved, other)
        self.assertEqual(disputed["status"], "disputed")
        reviewer = self.token("reviewer", t1[:8])
        items = self.queue(reviewer, t1[:8])
        names = dict(self.rows(f"SELECT code, name FROM regions WHERE code IN "
                               f"('{t1[:13]}', '{t1[:8]}', '{t1[:5]}')"))
        h = items[held["form_id"]]
        self.assertEqual((h["desa"], h["kecamatan"], h["kabupaten"]),
                         (names[t1[:13]], names[t1[:8]], names[t1[:5]]))
        self.assertEqual(h["token_name"], "saksi Dewi")
        self.assertEqual(h["difference"], 7)  # the pairs' votes add up to 7 more than valid
        self.assertEqual((h["claim"], h["requests"]), (None, []))
        d = items[disputed["form_id"]]
        self.assertEqual(d["token_name"], "saksi Eko")
        want = sum(abs(moved["votes"][k] - counted["votes"][k]) for k in counted["votes"]) + \
            abs(moved["invalid"] - counted["invalid"])
        self.assertGreater(want, 0)
        self.assertEqual(d["difference"], want)

    def test_request_to_the_witness(self):
        (form_id, other_id), picks, witness = self.held_forms(2, "62.10")
        tps = picks[0][0]
        ana = self.token("reviewer", tps[:8], "pemeriksa Ana")
        bima = self.token("reviewer", tps[:8], "pemeriksa Bima")
        path = f"/api/v1/forms/{form_id}/request"
        for body, field, code in (({"kind": "video", "note": "x"}, "kind", "bad_value"),
                                  ({"kind": "photo", "note": ""}, "note", "empty"),
                                  ({"kind": "photo"}, "note", "missing"),
                                  ({"kind": "photo", "note": "x" * 2001}, "note", "too_long"),
                                  ({"kind": "photo", "note": "x", "extra": 1}, "extra", "unknown_field")):
            status, _, reply = self.server.post(path, body, token=ana)
            self.assertEqual(status, 422, reply)
            self.assertEqual(reply["error"]["code"], "invalid_request")
            self.assertIn({"field": field, "code": code}, reply["error"]["details"])
        status, _, reply = self.server.request("POST", path, body=b"[1", token=ana)
        self.assertEqual((status, reply["error"]["code"]), (400, "malformed_json"))
        self.assertEqual(self.value("SELECT count(*) FROM review_requests"), "0")

        status, _, req = self.server.post(path, {"kind": "photo", "note": "Foto buram, kirim ulang"},
                                          token=ana)
        self.assertEqual(status, 201, req)
        self.assertEqual((req["form_id"], req["kind"], req["note"], req["name"]),
                         (form_id, "photo", "Foto buram, kirim ulang", "pemeriksa Ana"))
        self.assertEqual(self.rows(f"SELECT form_id, kind, note FROM review_requests WHERE id = {req['id']}"),
                         [(str(form_id), "photo", "Foto buram, kirim ulang")])
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {form_id}"), "held")
        status, _, rec = self.server.post(path, {"kind": "recount", "note": "Hitung ulang suara 01"},
                                          token=ana)
        self.assertEqual(status, 201, rec)

        # what the witness (and anyone, reads being public) sees for the TPS
        status, _, seen = self.server.get(f"/api/v1/requests?tps={tps}")
        self.assertEqual(status, 200, seen)
        self.assertEqual(seen["tps"], tps)
        self.assertEqual([(r["id"], r["kind"], r["open"], r["contest"], r["form_status"]) for r in seen["requests"]],
                         [(rec["id"], "recount", True, GUB, "held"), (req["id"], "photo", True, GUB, "held")])
        self.assertEqual([r["id"] for r in self.queue(ana, tps[:8])[form_id]["requests"]], [rec["id"], req["id"]])
        for query, want in (("", 400), ("?tps=62.99.99.9999.999", 404), (f"?tps={tps[:13]}", 404)):
            self.assertEqual(self.server.get(f"/api/v1/requests{query}")[0], want)

        # a form another reviewer claimed takes no request from Bima
        self.assertEqual(self.claim(other_id, ana)[0], 200)
        status, _, body = self.server.post(f"/api/v1/forms/{other_id}/request",
                                           {"kind": "photo", "note": "x"}, token=bima)
        self.assertEqual((status, body["error"]["code"]), (409, "claimed"))

        # at most 8 per form
        for i in range(6):
            self.assertEqual(self.server.post(path, {"kind": "photo", "note": f"n{i}"}, token=ana)[0], 201)
        status, _, body = self.server.post(path, {"kind": "photo", "note": "ninth"}, token=ana)
        self.assertEqual((status, body["error"]["code"]), (409, "too_many_requests"))

        # kept over a restart; a decided form takes no more, but keeps them (closed)
        self.server.stop()
        self.server = self.start_server(ready=True)
        status, _, seen = self.server.get(f"/api/v1/requests?tps={tps}")
        self.assertEqual(len(seen["requests"]), 8)
        self.assertEqual(seen["requests"][-1]["note"], "Foto buram, kirim ulang")
        self.assertEqual(seen["requests"][-1]["name"], "pemeriksa Ana")
        self.assertEqual(self.decide(form_id, ana, "reject")[0], 200)
        status, _, body = self.server.post(path, {"kind": "photo", "note": "x"}, token=ana)
        self.assertEqual((status, body["error"]["code"]), (409, "not_pending"))
        status, _, seen = self.server.get(f"/api/v1/requests?tps={tps}")
        self.assertEqual({r["open"] for r in seen["requests"]}, {False})


if __name__ == "__main__":
    harness.main()
