"""The monitoring desk (the contract's "The monitoring desk"): node dpt and
tps.flagged, worklists with their cursor, suggestions on held forms, the
cross_contest_voters warning, the changes feed and the timeline."""

import re

import harness
from harness import build_form, metric

GUB = "gub-62"
RFC3339_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"



class DeskCase(harness.SuaraTestCase):
    server = None

    def submit(self, form, token, status=201):
        got, _, body = self.server.post("/api/v1/forms", form, token=token)
        self.assertEqual(got, status, body)
        return body

    def get(self, path, status=200):
        got, _, body = self.server.get(path)
        self.assertEqual(got, status, body)
        return body

    def assert_error(self, path, status, code):
        body = self.get(path, status)
        self.assertEqual(body["error"]["code"], code, body)

    def fresh_roll(self, n, prefix="62", min_dpt=0):
        """n TPS without forms, each with at least min_dpt on the roll."""
        rows = self.rows(
            f"SELECT code, dpt FROM tps t WHERE code LIKE '{prefix}.%' AND dpt >= {min_dpt} "
            "AND NOT EXISTS (SELECT 1 FROM forms f WHERE f.tps = t.code) "
            f"ORDER BY code LIMIT {n}")
        self.assertEqual(len(rows), n)
        return [(code, int(dpt)) for code, dpt in rows]


class SharedDesk(DeskCase, harness.ServedTestCase):
    """One server for the class's tests (DeskCase's helpers, ServedTestCase's server)."""


class NodeTest(SharedDesk):
    def test_dpt_is_the_whole_roll(self):
        node = self.get(f"/api/v1/tally/{GUB}/62")
        self.assertEqual(node["dpt"], int(self.value("SELECT sum(dpt) FROM tps")))
        for child in node["children"]:
            want = self.value(f"SELECT sum(dpt) FROM tps WHERE code LIKE '{child['region']}.%'")
            self.assertEqual(child["dpt"], int(want), child["region"])
        (tps, dpt), = self.fresh_roll(1)
        self.assertEqual(self.get(f"/api/v1/tally/{GUB}/{tps}")["dpt"], dpt)


class WorklistTest(SharedDesk):
    """Six TPS of one desa, one story each."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.w1 = cls.db.make_token("witness", "62")
        cls.w2 = cls.db.make_token("witness", "62")
        cls.server.wait_for_token(cls.w1)
        cls.server.wait_for_token(cls.w2)

    def stories(self):
        """A desa without forms: its first six TPS get a story each, the
        others stay missing too (returned last)."""
        desa = self.value(
            "SELECT desa FROM tps t GROUP BY desa HAVING count(*) >= 6 AND NOT EXISTS "
            "(SELECT 1 FROM forms f WHERE left(f.tps, 13) = t.desa) ORDER BY desa LIMIT 1")
        picks = [(code, int(dpt)) for code, dpt in
                 self.rows(f"SELECT code, dpt FROM tps WHERE desa = '{desa}' ORDER BY code")]
        (a, da), (b, db), (c, dc), (d, dd), (e, de), (f, _) = picks[:6]
        at = {}  # (tps, status) -> the received_at its worklist's `since` must say
        at[a, "unconfirmed"] = self.submit(build_form(f"wl-a-{a}", a, da), self.w1)["received_at"]
        self.submit(build_form(f"wl-b1-{b}", b, db), self.w1)  # confirmed
        self.submit(build_form(f"wl-b2-{b}", b, db), self.w2)
        held = build_form(f"wl-c-{c}", c, dc)
        held["votes"]["1"] += 1
        body = self.submit(held, self.w1)
        self.assertEqual(body["status"], "held")
        at[c, "held"] = body["received_at"]
        at[d, "unconfirmed"] = self.submit(build_form(f"wl-d1-{d}", d, dd),
                                           self.w1)["received_at"]
        body = self.submit(build_form(f"wl-d2-{d}", d, dd, shift=1), self.w2)
        self.assertEqual(body["status"], "disputed")
        at[d, "disputed"] = body["received_at"]
        share = build_form(  # 5 % invalid: the invalid_share warning, flagged
            f"wl-e-{e}", e, de, total=de * 6 // 10,
                           invalid=(de * 6 // 10) * 5 // 100)
        body = self.submit(share, self.w1)
        self.assertEqual([c["code"] for c in body["checks"]], ["invalid_share"])
        at[e, "unconfirmed"] = at[e, "flagged"] = body["received_at"]
        return desa, a, b, c, d, e, f, [code for code, _ in picks[6:]], at

    def worklist(self, region, status, **query):
        args = "".join(f"&{k}={v}" for k, v in query.items())
        return self.get(f"/api/v1/worklist/{GUB}/{region}?status={status}{args}")

    def test_every_status(self):
        desa, a, b, c, d, e, f, rest, at = self.stories()
        want = {"missing": [c, f] + rest, "held": [c], "disputed": [d], "unconfirmed": [a, d, e],
                "no_photo": [a, b, d, e], "flagged": [e]}
        tps_status = {a: "counted", b: "confirmed", c: "held", d: "counted", e: "counted",
                      f: "empty", **{code: "empty" for code in rest}}
        for status, codes in want.items():
            body = self.worklist(desa, status)
            self.assertEqual(set(body), {"mode", "status", "total", "items", "next"}, body)
            self.assertEqual(body["status"], status)
            self.assertEqual([i["tps"] for i in body["items"]], codes, status)
            self.assertEqual(body["total"], len(codes), status)
            self.assertIsNone(body["next"])
            for item in body["items"]:
                self.assertEqual(set(item), {"tps", "name", "desa", "kecamatan", "status",
                                             "since"}, item)
                self.assertEqual(item["status"], tps_status[item["tps"]], item)
                self.assertEqual(item["name"], "TPS " + item["tps"][-3:])
                if status == "missing":
                    self.assertIsNone(item["since"])
                else:
                    self.assertRegex(item["since"], RFC3339_UTC)
                if (item["tps"], status) in at:  # since the form that put it there
                    self.assertEqual(item["since"], at[item["tps"], status], (status, item))
        names = self.rows(f"SELECT d.name, k.name FROM regions d JOIN regions k ON k.code = "
                          f"d.parent WHERE d.code = '{desa}'")[0]
        item = self.worklist(desa, "held")["items"][0]
        self.assertEqual((item["desa"], item["kecamatan"]), names)
        # the node's own counters agree with the lists, here and at every level above
        for region in (desa, desa[:8], desa[:5], "62"):
            counters = self.get(f"/api/v1/tally/{GUB}/{region}")["tps"]
            from_counters = {
                "missing": counters["total"] - counters["counted"], "held": counters["held"],
                "disputed": counters["disputed"],
                "unconfirmed": counters["counted"] - counters["confirmed"],
                "no_photo": counters["counted"] - counters["with_photo"],
                "flagged": counters["flagged"], "kpu_differs": counters["kpu_differs"]}
            totals = {status: self.worklist(region, status, limit=1)["total"]
                      for status in from_counters}
            self.assertEqual(totals, from_counters, region)
        self.assertEqual(self.get(f"/api/v1/tally/{GUB}/{desa}")["tps"]["flagged"], 1)

    def test_cursor_pages_the_whole_province(self):
        whole = self.worklist("62", "missing", limit=1000)
        total = whole["total"]
        self.assertEqual(total, int(self.value(f"SELECT count(*) FROM tps t WHERE NOT EXISTS "
                                               f"(SELECT 1 FROM forms f WHERE f.tps = t.code AND "
                                               f"f.contest = '{GUB}' AND status = 'counted')")))
        seen, after = [], None
        while True:
            query = {"limit": 997}
            if after:
                query["after"] = after
            page = self.worklist("62", "missing", **query)
            self.assertEqual(page["total"], total)
            seen += [i["tps"] for i in page["items"]]
            after = page["next"]
            if after is None:
                break
            self.assertEqual(after, page["items"][-1]["tps"])
        self.assertEqual(len(seen), total)
        self.assertEqual(seen, sorted(set(seen)))

    def test_bad_queries(self):
        self.assert_error(f"/api/v1/worklist/{GUB}/62?status=late", 400, "bad_status")
        self.assert_error(f"/api/v1/worklist/{GUB}/62", 400, "bad_status")
        self.assert_error(f"/api/v1/worklist/{GUB}/62?status=missing&limit=0", 400, "bad_limit")
        self.assert_error(f"/api/v1/worklist/{GUB}/62?status=missing&limit=1001", 400,
                          "bad_limit")
        self.assert_error(f"/api/v1/worklist/{GUB}/62?status=missing&limit=x", 400, "bad_limit")
        self.assert_error(f"/api/v1/worklist/{GUB}/62.01?status=missing&after=62.02.01.1001.001",
                          400, "bad_cursor")
        self.assert_error(f"/api/v1/worklist/{GUB}/62?status=missing&after=62.01", 400,
                          "bad_cursor")
        self.assert_error("/api/v1/worklist/gub-99/62?status=missing", 404, "not_found")
        self.assert_error(f"/api/v1/worklist/{GUB}/63?status=missing", 404, "not_found")


class SuggestionTest(SharedDesk):
    def test_misread_884_for_84(self):
        (tps, dpt), = self.fresh_roll(1, min_dpt=300)
        token = self.make_token("witness", tps, server=self.server)
        form = build_form(f"sg-{tps}", tps, dpt, votes=[84, 60, 50, 40])
        form["votes"]["1"] = 884
        body = self.submit(form, token)
        self.assertEqual(body["status"], "held")
        want = [{"field": "votes.1", "value": 84, "fixes": ["valid_sum"]}]
        self.assertEqual(body["suggestions"], want)
        # the retry gets the same answer
        self.assertEqual(self.server.post("/api/v1/forms", form, token=token)[2], body)
        reviewer = self.make_token("reviewer", "62", server=self.server)
        got, _, review = self.server.get(f"/api/v1/review?contest={GUB}&region={tps}",
                                         token=reviewer)
        self.assertEqual(got, 200, review)
        self.assertEqual([f["form_id"] for f in review["forms"]], [body["form_id"]])
        self.assertEqual(review["forms"][0]["suggestions"], want)

    def test_counted_form_has_no_suggestions(self):
        (tps, dpt), = self.fresh_roll(1)
        token = self.make_token("witness", tps, server=self.server)
        body = self.submit(build_form(f"sg-ok-{tps}", tps, dpt), token)
        self.assertEqual(body["status"], "counted")
        self.assertNotIn("suggestions", body)


class CrossContestTest(SharedDesk):
    def test_warning_on_the_later_form(self):
        bup, region = self.rows("SELECT id, region FROM contests WHERE id LIKE 'bup-%' "
                                "ORDER BY id LIMIT 1")[0]
        n_cand = int(self.value(f"SELECT count(*) FROM candidates WHERE contest = '{bup}'"))
        (t1, d1), (t2, d2) = self.fresh_roll(2, region, min_dpt=100)
        token = self.make_token("witness", region, server=self.server)
        gub = self.submit(build_form(f"cc-g-{t1}", t1, d1, total=90), token)
        self.assertEqual(gub["checks"], [])
        later = self.submit(build_form(f"cc-b-{t1}", t1, d1, contest=bup, n_cand=n_cand,
                                       total=80), token)
        self.assertEqual(later["status"], "counted")
        self.assertEqual(later["checks"], [{"code": "cross_contest_voters",
                                            "severity": "warning"}])
        desa = t1.rsplit(".", 1)[0]
        flagged = self.get(f"/api/v1/worklist/{bup}/{desa}?status=flagged")
        self.assertEqual([i["tps"] for i in flagged["items"]], [t1])
        self.assertEqual(self.get(f"/api/v1/tally/{bup}/{t1}")["tps"]["flagged"], 1)
        self.assertEqual(self.get(f"/api/v1/tally/{GUB}/{t1}")["tps"]["flagged"], 0)
        # the same voters in both contests: no warning
        self.submit(build_form(f"cc-g-{t2}", t2, d2, total=70), token)
        agree = self.submit(build_form(f"cc-b-{t2}", t2, d2, contest=bup, n_cand=n_cand,
                                       total=70), token)
        self.assertEqual(agree["checks"], [])
        stored = self.value(f"SELECT checks FROM forms WHERE id = {later['form_id']}")
        self.assertEqual(stored, "{cross_contest_voters}")


class ChangesTest(SharedDesk):
    def test_pages_without_gaps_or_repeats(self):
        picks = self.fresh_tps(4)
        token = self.make_token("witness", "62", server=self.server)
        bodies = [self.submit(build_form(f"ch-{tps}", tps, dpt), token) for tps, dpt in picks]
        held = build_form(f"ch-held-{picks[0][0]}", *picks[0])
        held["invalid"] += 1
        held_body = self.submit(held, token)
        reviewer = self.make_token("reviewer", "62", server=self.server)
        got, _, decided = self.server.post(f"/api/v1/forms/{held_body['form_id']}/decision",
                                           {"decision": "reject", "reason": "C1 photo"},
                                           token=reviewer)
        self.assertEqual(got, 200, decided)

        seqs, since, pages = [], 0, 0
        changes = {}
        while True:
            page = self.get(f"/api/v1/changes?since={since}&limit=3")
            self.assertEqual(set(page), {"mode", "changes", "next_since"})
            self.assertLessEqual(len(page["changes"]), 3)
            for ch in page["changes"]:
                seqs.append(ch["seq"])
                changes[ch["seq"]] = ch
            pages += 1
            if not page["changes"]:
                self.assertEqual(page["next_since"], since)
                break
            self.assertEqual(page["next_since"], page["changes"][-1]["seq"])
            since = page["next_since"]
        stored = [int(r[0]) for r in self.rows(
            "SELECT seq FROM forms UNION ALL SELECT seq FROM decisions ORDER BY 1")]
        self.assertEqual(seqs, stored)
        self.assertGreater(pages, 2)

        first = changes[bodies[0]["seq"]]
        tps, dpt = picks[0]
        form = build_form(f"ch-{tps}", tps, dpt)
        self.assertEqual(first, {"seq": bodies[0]["seq"], "contest": GUB, "tps": tps,
                                 "form_id": bodies[0]["form_id"], "status": "counted",
                                 "decision": False, "revision": 1, "votes": form["votes"],
                                 "valid": form["valid"], "invalid": form["invalid"],
                                 "total": form["total"]})
        self.assertEqual(changes[held_body["seq"]]["status"], "held")
        rejected = changes[decided["decision"]["seq"]]
        self.assertEqual((rejected["form_id"], rejected["status"], rejected["decision"]),
                         (held_body["form_id"], "rejected", True))

    def test_bad_queries(self):
        self.assert_error("/api/v1/changes?since=-1", 400, "bad_since")
        self.assert_error("/api/v1/changes?since=x", 400, "bad_since")
        self.assert_error("/api/v1/changes?limit=0", 400, "bad_limit")
        self.assert_error("/api/v1/changes?limit=10001", 400, "bad_limit")
        # the largest page holds every change there is (fewer than 10000 here)
        stored = int(self.value("SELECT (SELECT count(*) FROM forms) + "
                                "(SELECT count(*) FROM decisions)"))
        self.assertEqual(len(self.get("/api/v1/changes?limit=10000")["changes"]), stored)


class PrivateReadsTest(DeskCase):
    def test_desk_reads_need_a_token(self):
        """A desk on a server whose reads are private: a monitor's token reads
        every desk path, no token reads none of them."""
        self.server = self.start_server("--private-reads", ready=True)
        monitor = self.make_token("monitor", "62", server=self.server)
        # the worklist is never cached; the others are the contract's cacheable reads
        cache_control = {f"/api/v1/worklist/{GUB}/62?status=missing&limit=1": "no-store",
                         "/api/v1/changes": "private, no-store",
                         f"/api/v1/timeline/{GUB}/62": "private, no-store"}
        for path, want in cache_control.items():
            status, _, body = self.server.get(path)
            self.assertEqual((status, body["error"]["code"]), (401, "missing_token"), path)
            status, headers, body = self.server.get(path, token=monitor)
            self.assertEqual(status, 200, (path, body))
            self.assertEqual(headers["Cache-Control"], want, path)


class TimelineTest(DeskCase):
    def points(self, region, contest=GUB):
        return self.get(f"/api/v1/timeline/{contest}/{region}")["points"]

    def wait_point(self, region, seq, contest=GUB):
        return harness.wait_until(
            lambda: (lambda p: p if p and p[-1]["seq"] == seq else None)(
                self.points(region, contest)),
            timeout=30, message=f"a timeline point at seq {seq} for {contest} {region}")

    def test_snapshots_and_restart(self):
        self.server = self.start_server("--snapshot-s", "1", ready=True)
        token = self.make_token("witness", "62", server=self.server)
        (t1, d1), = self.fresh_tps(1, "62.05")
        kab = "62.05"
        self.submit(build_form(f"tl-1-{t1}", t1, d1), token)
        node = self.get(f"/api/v1/tally/{GUB}/62")
        before = self.wait_point("62", node["seq"])
        point = before[-1]
        self.assertEqual(set(point), {"at", "seq", "tps_counted", "valid", "invalid", "votes"})
        self.assertRegex(point["at"], RFC3339_UTC)
        self.assertEqual((point["tps_counted"], point["valid"], point["invalid"], point["votes"]),
                         (node["tps"]["counted"], node["valid"], node["invalid"], node["votes"]))
        self.wait_point(kab, self.get(f"/api/v1/tally/{GUB}/{kab}")["seq"])
        # a regent's contest has its series on its own root, the kabupaten
        bup = f"bup-{kab}"
        n_cand = int(self.value(f"SELECT count(*) FROM candidates WHERE contest = '{bup}'"))
        self.submit(build_form(f"tl-b-{t1}", t1, d1, contest=bup, n_cand=n_cand), token)
        regent = self.wait_point(kab, self.get(f"/api/v1/tally/{bup}/{kab}")["seq"], bup)
        self.assertEqual(regent[-1]["tps_counted"],
                         self.get(f"/api/v1/tally/{bup}/{kab}")["tps"]["counted"])

        (t2, d2), = self.fresh_tps(1, "62.05")
        self.submit(build_form(f"tl-2-{t2}", t2, d2), token)
        node2 = self.get(f"/api/v1/tally/{GUB}/62")
        after = self.wait_point("62", node2["seq"])
        self.assertEqual(after[:-1], before)
        self.assertEqual(after[-1]["tps_counted"], node["tps"]["counted"] + 1)
        self.assertGreater(after[-1]["at"], before[-1]["at"])
        kab_points = self.wait_point(kab, self.get(f"/api/v1/tally/{GUB}/{kab}")["seq"])
        stored = int(self.value(f"SELECT count(*) FROM tally_snapshots WHERE contest = '{GUB}' "
                                "AND region = '62'"))
        harness.wait_until(lambda: int(self.value(
            f"SELECT count(*) FROM tally_snapshots WHERE contest = '{GUB}' AND region = '62'"))
            == len(after), timeout=30, message="the snapshot rows")
        self.assertLessEqual(stored, len(after))

        self.server.stop()
        self.server.start(ready=True)
        self.assertEqual(self.points("62"), after)
        self.assertEqual(self.points(kab), kab_points)
        # two periods pass after the restart; the seq did not move, so no new point
        harness.wait_until(lambda: metric(self.server, "suara_timeline_periods_total") >= 2,
                           timeout=30, message="two snapshot periods")
        self.assertEqual(self.points("62"), after)
        # a point only for the nodes whose seq moved: none for a kabupaten without
        # forms, and the newest of each other one at its node's seq
        for child in self.get(f"/api/v1/tally/{GUB}/62")["children"]:
            newest = [p["seq"] for p in self.points(child["region"])[-1:]]
            self.assertEqual(newest, [child["seq"]] if child["seq"] else [], child["region"])
        self.assertEqual(self.points(kab, bup), regent)

    def test_only_province_and_kabupaten(self):
        self.server = self.start_server(ready=True)
        self.assertIsInstance(self.points("62.01"), list)
        kec = self.value("SELECT code FROM regions WHERE level = 'kecamatan' ORDER BY code LIMIT 1")
        self.assert_error(f"/api/v1/timeline/{GUB}/{kec}", 404, "not_found")
        (tps, _), = self.fresh_tps(1)
        self.assert_error(f"/api/v1/timeline/{GUB}/{tps}", 404, "not_found")
        self.assert_error("/api/v1/timeline/bup-62.01/62.02", 404, "not_found")


if __name__ == "__main__":
    harness.main()
