"""Decisions in the log and the replay of the outcome rules: every reviewer's
decision is an entry of its own in the receipt chain and a leaf of the public
log; `suara verify-log` recomputes the chain (the new format, and old rows
in the old one) and replays the outcome rules, and the server refuses to serve
a history whose statuses do not follow from the log, saying where. The chain
is recomputed here in Python from the rows (logcheck.py), not by the C code."""

import hashlib
import os
import uuid

import harness
import logcheck
import rfc9162

SERVE = ("--rate-per-minute", "0", "--sth-ms", "50")


class HistoryFixture(harness.SuaraTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = harness.Database(cls.__name__, migrate=True, seed=True)

    def keygen(self):
        path = os.path.join(harness.tmpdir(), f"log-{uuid.uuid4().hex[:6]}.key")
        made = self.suara("log", "keygen", path)
        self.assertEqual(made.returncode, 0, made.stderr)
        return path, made.stdout.strip()

    def verify(self):
        return self.suara("verify-log", "--db", self.db.conninfo)

    def story(self, server):
        """Two witnesses and a reviewer: a dispute decided for the second
        witness, a held form rejected, a plain count. Returns the form ids."""
        (t1, d1), (t2, d2), (t3, d3) = self.fresh_tps(3)
        a = self.make_token("witness", "62", server=server)
        b = self.make_token("witness", "62", server=server)
        reviewer = self.make_token("reviewer", "62", server=server)

        def post(body, token, want):
            status, _, r = server.post("/api/v1/forms", body, token=token)
            self.assertEqual((status, r["status"]), (201, want), r)
            return r["form_id"]

        def decide(form_id, decision):
            status, _, r = server.post(f"/api/v1/forms/{form_id}/decision",
                                       {"decision": decision, "reason": f"{decision}: sesuai plano"},
                                       token=reviewer)
            self.assertEqual(status, 200, r)

        first = post(harness.build_form(str(uuid.uuid4()), t1, d1), a, "counted")
        other = post(harness.build_form(str(uuid.uuid4()), t1, d1, shift=1), b, "disputed")
        decide(other, "count")
        bad = harness.build_form(str(uuid.uuid4()), t2, d2)
        bad["valid"] += 1
        held = post(bad, a, "held")
        decide(held, "reject")
        plain = post(harness.build_form(str(uuid.uuid4()), t3, d3), a, "counted")
        return {"first": first, "other": other, "held": held, "plain": plain}

    def restart_with(self, server, sql, ready=True):
        server.stop()
        self.psql(sql)
        server.start(ready=ready)


class DecisionsInTheLogTest(HistoryFixture):
    def test_decisions_are_entries_and_the_rules_are_replayed(self):
        key, public = self.keygen()
        server = self.start_server("--log-key", key, *SERVE, ready=True)
        ids = self.story(server)

        # Every entry's receipt, recomputed here from the rows in seq order.
        chain = logcheck.recompute_chain(self.db)
        self.assertEqual([k for k, *_ in chain],
                         ["form", "form", "decision", "form", "decision", "form"])
        for kind, eid, mine, stored in chain:
            self.assertEqual(mine, stored, f"{kind} {eid}")
        # The public log has them all as leaves, decisions included, and after
        # each entry the status changes it made (stated here, not derived):
        # the count decided for the second witness supersedes the first's
        # form, then counts the second's; the rejection rejects the held form.
        first_decision, second_decision = chain[2][1], chain[4][1]
        made = {("decision", first_decision): [(ids["first"], "superseded"),
                                               (ids["other"], "counted")],
                ("decision", second_decision): [(ids["held"], "rejected")]}
        log = logcheck.log_entries(self.db, made)
        self.assertEqual([k for k, *_ in log], ["form", "form", "decision", "status", "status",
                                                "form", "decision", "status", "form"])
        leaves = [logcheck.leaf_hash(receipt) for *_, receipt in log]
        def head_of_nine():
            status, _, head = server.get("/api/v1/log/sth")
            return head if status == 200 and head["tree_size"] == 9 else None
        head = harness.wait_until(head_of_nine, timeout=30, message="a head of nine entries")
        self.assertEqual(head["root_hash"], rfc9162.MTH([bytes.fromhex(r) for *_, r in log]).hex())
        self.assertTrue(logcheck.signature_ok(head, public))
        status, _, proof = server.get(f"/api/v1/log/proof/inclusion?form_id={ids['plain']}")
        self.assertEqual((status, proof["leaf_index"]), (200, 8))
        # A decision's own leaf, proven like a form's, from the receipt the
        # form's answer shows.
        status, _, form = server.get(f"/api/v1/forms/{ids['other']}")
        self.assertEqual((form["decision"]["id"], form["decision"]["receipt"]),
                         (int(first_decision), chain[2][3]))
        status, _, proof = server.get(
            f"/api/v1/log/proof/inclusion?decision_id={first_decision}&tree_size=9")
        self.assertEqual((status, proof["leaf_index"], proof["tree_size"]), (200, 2, 9), proof)
        self.assertEqual(proof["audit_path"],
                         logcheck.rfc_inclusion([r for *_, r in log], 2, 9))
        self.assertTrue(logcheck.verify_inclusion(
            logcheck.leaf_hash(form["decision"]["receipt"]), 2, 9,
            [bytes.fromhex(h) for h in proof["audit_path"]], bytes.fromhex(head["root_hash"])))
        status, _, proof = server.get(
            f"/api/v1/log/proof/inclusion?decision_id={second_decision}")
        self.assertEqual((status, proof["leaf_index"]), (200, 6))
        # The same tree after a restart: the load replays the rules and puts
        # the same status changes after the same entries.
        server.stop()
        server.start(ready=True)
        again = harness.wait_until(head_of_nine, timeout=30, message="the head after a restart")
        self.assertEqual(again["root_hash"], head["root_hash"])

        ok = self.verify()
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertEqual(ok.stdout, f"intact: 4 forms and 2 decisions; head receipt {chain[-1][3]}\n"
                                    "statuses: every stored status follows from the log "
                                    "(3 TPS and contests replayed)\n")
        state = os.path.join(harness.tmpdir(), "history.state")
        self.assertEqual(self.suara("log", "monitor", server.url, "--state", state,
                                    "--key", public).returncode, 0)

        # Which form counts, changed behind the server's back (statuses only):
        # verify-log and the server both name the form, and the server does
        # not serve; the monitor fails.
        swap = (f"UPDATE forms SET status = 'counted' WHERE id = {ids['first']}; "
                f"UPDATE forms SET status = 'superseded' WHERE id = {ids['other']}")
        self.restart_with(server, swap, ready=False)
        broken = self.verify()
        self.assertEqual(broken.returncode, 1)
        self.assertIn(f": form {ids['first']}: stored status counted, but replaying the log gives "
                      "superseded", broken.stdout)
        reason = f"the stored history does not verify: form {ids['first']}: stored status counted"
        def refused():
            status, _, body = server.get("/readyz")
            return status == 503 and reason in body.get("reason", "")
        harness.wait_until(refused, timeout=30, message="the server to refuse the history")
        status, _, body = server.get("/api/v1/log/sth")
        self.assertEqual((status, body["error"]["code"]), (503, "not_ready"))
        failed = self.suara("log", "monitor", server.url, "--state", state)
        self.assertEqual(failed.returncode, 1)
        self.assertIn("the server answered 503 not_ready", failed.stderr)
        self.restart_with(server, f"UPDATE forms SET status = 'superseded' WHERE id = {ids['first']}; "
                                  f"UPDATE forms SET status = 'counted' WHERE id = {ids['other']}")
        self.assertEqual(self.verify().returncode, 0)

        # A decision changed, statuses made to match it: the rules are kept,
        # but the decision's receipt is not: verify-log names it, and the
        # server refuses too (it rechecks every decision's receipt).
        flip = (f"UPDATE decisions SET decision = 'reject' WHERE form_id = {ids['other']}; "
                f"UPDATE forms SET status = 'rejected' WHERE id = {ids['other']}; "
                f"UPDATE forms SET status = 'counted' WHERE id = {ids['first']}")
        self.restart_with(server, flip, ready=False)
        broken = self.verify()
        self.assertEqual(broken.returncode, 1)
        self.assertRegex(broken.stdout, r"^BROKEN at decision 1 \(on form \d+\): stored receipt")
        harness.wait_until(lambda: "decision 1: its receipt does not match" in
                           server.get("/readyz")[2].get("reason", ""), timeout=30,
                           message="the server to refuse the changed decision")
        # ... and rewritten with a fresh receipt, the history forks for monitors.
        kind, did, _, old = chain[2]
        forged_prev = chain[1][3]
        row = [r for k, r in logcheck.entries(self.db) if k == "decision" and r[0] == did][0]
        forged = hashlib.sha256(logcheck.decision_text(forged_prev, row)).hexdigest()
        server.stop()
        self.psql(f"UPDATE decisions SET receipt = '{forged}' WHERE id = {did}")
        # the chain after it no longer links, but the server only rechecks
        # the decision against its predecessor, so it serves: monitors see it.
        server.start(ready=True)
        harness.wait_until(lambda: server.get("/api/v1/log/sth")[0] == 200, timeout=30,
                           message="a head")
        failed = self.suara("log", "monitor", server.url, "--state", state)
        self.assertEqual(failed.returncode, 1)
        # The rejection makes one status change where the count made two: the
        # log of the rewritten history is a leaf shorter.
        self.assertIn("the tree shrank from 9 to 8 leaves", failed.stderr)
        self.assertEqual(self.verify().returncode, 1)


class StatusProofTest(HistoryFixture):
    def test_a_status_change_is_proven_in_the_signed_head(self):
        key, public = self.keygen()
        server = self.start_server("--log-key", key, *SERVE, ready=True)
        ids = self.story(server)
        chain = logcheck.recompute_chain(self.db)
        count, reject = chain[2][1], chain[4][1]
        made = {("decision", count): [(ids["first"], "superseded"), (ids["other"], "counted")],
                ("decision", reject): [(ids["held"], "rejected")]}
        receipts = [r for *_, r in logcheck.log_entries(self.db, made)]
        seq = {d: int(self.value(f"SELECT seq FROM decisions WHERE id = {d}"))
               for d in (count, reject)}

        def head_of_nine():
            status, _, head = server.get("/api/v1/log/sth")
            return head if status == 200 and head["tree_size"] == 9 else None

        def proven(form_id, head, query=""):
            """The form's status leaves as the server answers them, each
            checked here: its text hashes to its receipt, which is the leaf
            the rows give at its index, chained to the leaf before it, and its
            audit path is the RFC's and leads to the signed root."""
            status, _, body = server.get(f"/api/v1/log/proof/status?form_id={form_id}{query}")
            size = head["tree_size"]
            self.assertEqual((status, body["form_id"], body["tree_size"]), (200, form_id, size))
            out = []
            for c in body["changes"]:
                i = c["leaf_index"]
                text = logcheck.status_text(c["prev"], c["seq"], form_id, c["status"])
                self.assertEqual(hashlib.sha256(text).hexdigest(), c["receipt"])
                self.assertEqual((c["prev"], c["receipt"]), (receipts[i - 1], receipts[i]))
                self.assertEqual(c["audit_path"], logcheck.rfc_inclusion(receipts, i, size))
                self.assertTrue(logcheck.verify_inclusion(
                    logcheck.leaf_hash(c["receipt"]), i, size,
                    [bytes.fromhex(h) for h in c["audit_path"]], bytes.fromhex(head["root_hash"])))
                out.append((i, c["seq"], c["status"]))
            return out

        head = harness.wait_until(head_of_nine, timeout=30, message="a head of nine entries")
        self.assertTrue(logcheck.signature_ok(head, public))
        want = {"first": [(3, seq[count], "superseded")], "other": [(4, seq[count], "counted")],
                "held": [(7, seq[reject], "rejected")], "plain": []}
        for name, changes in want.items():
            self.assertEqual(proven(ids[name], head), changes, name)
        # In an older tree: only the changes it holds (the rejection is leaf 7).
        seven = {"tree_size": 7, "root_hash": rfc9162.MTH([bytes.fromhex(r) for r in receipts[:7]]).hex()}
        self.assertEqual(proven(ids["held"], seven, "&tree_size=7"), [])
        self.assertEqual(proven(ids["first"], seven, "&tree_size=7"), want["first"])
        for query, code in ((f"form_id={ids['held']}&tree_size=10", (400, "bad_tree_size")),
                            ("form_id=x", (400, "bad_parameter")), ("", (400, "bad_parameter")),
                            ("form_id=999999", (404, "unknown_form"))):
            status, _, body = server.get(f"/api/v1/log/proof/status?{query}")
            self.assertEqual((status, body["error"]["code"]), code, query)
        # After a restart the leaves come from the start-up's replay: the same.
        server.stop()
        server.start(ready=True)
        again = harness.wait_until(head_of_nine, timeout=30, message="the head after a restart")
        for name, changes in want.items():
            self.assertEqual(proven(ids[name], again), changes, name)


class OldRowsTest(HistoryFixture):
    def test_rows_from_before_decisions_joined_the_log_still_verify(self):
        server = self.start_server(*SERVE, ready=True)
        self.story(server)
        server.stop()
        # Make this a database from before decisions joined the log: form
        # receipts chained over forms only, decisions without receipts, and
        # the migration's boundary after them.
        prev = "0" * 64
        for row in self.rows(logcheck.FORM_SQL + " ORDER BY id"):
            prev = hashlib.sha256(logcheck.form_text(None, prev, row)).hexdigest()
            self.psql(f"UPDATE forms SET receipt = '{prev}' WHERE id = {row[0]}")
        self.psql("UPDATE decisions SET receipt = NULL; UPDATE log_format SET decisions_from_seq = "
                  "(SELECT max(seq) + 1 FROM forms)")
        old = self.verify()
        self.assertEqual(old.returncode, 0, old.stdout)
        self.assertIn(f"intact: 4 forms and 2 decisions; head receipt {prev}\n", old.stdout)

        # The server loads it; new entries continue the chain in the new format.
        server.start(ready=True)
        status, _, head = server.get("/api/v1/log/sth")
        self.assertEqual((status, head["tree_size"]), (200, 4))  # old decisions are no leaves
        # ... nor are the status changes they made: nothing to prove.
        old_first = self.value("SELECT min(id) FROM forms")
        status, _, body = server.get(f"/api/v1/log/proof/status?form_id={old_first}")
        self.assertEqual((status, body["changes"]), (200, []))
        self.story(server)
        new = self.verify()
        self.assertEqual(new.returncode, 0, new.stdout)
        self.assertIn("intact: 8 forms and 4 decisions; head receipt ", new.stdout)
        entries = logcheck.entries(self.db)
        first_new = [r for k, r in entries if k == "form"][4]
        self.assertEqual(hashlib.sha256(logcheck.form_text(None, prev, first_new)).hexdigest(),
                         first_new[-1], "the first new form chains to the last old receipt")

        # A decision without a receipt after the format changed: inserted
        # behind the server's back.
        server.stop()
        newest = self.value("SELECT max(id) FROM decisions")
        self.psql(f"UPDATE decisions SET receipt = NULL WHERE id = {newest}")
        broken = self.verify()
        self.assertEqual(broken.returncode, 1)
        self.assertIn(f"BROKEN at decision {newest} ", broken.stdout)
        self.assertIn("it has no receipt", broken.stdout)


if __name__ == "__main__":
    harness.main()
