"""The election's life: a rehearsal in test mode (which every read, CSV and
live message says), going live (which deletes exactly the rehearsal's data, in
one transaction, and restarts the receipt chain from a recorded genesis),
final regions after their pleno (forms and decisions refused, an admin's
amendment counted), and the audit trail of all of it."""

import json
import os
import signal
import subprocess
import time
import uuid

import harness
import logcheck
from harness import build_form

GUB = "gub-62"
BUP = "bup-62.03"  # Kapuas: 5 pairs
SIMULASI = "# mode: test (SIMULASI: a rehearsal, not the real count)"


def sid():
    return str(uuid.uuid4())


class ModeTest(harness.SuaraTestCase):
    """A new database is a rehearsal, and every way of reading it says so."""

    def test_every_read_says_test(self):
        server = self.start_server(ready=True)
        tps, dpt = self.fresh_tps(1, "62.01")[0]
        witness = self.make_token("witness", tps, server=server)
        status, _, body = server.post("/api/v1/forms", build_form(sid(), tps, dpt), token=witness)
        self.assertEqual(status, 201, body)

        status, headers, body = server.get("/api/v1/status")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["mode"], "test")
        self.assertEqual(body["final"], [])
        head = server.get("/api/v1/log/head")[2]
        self.assertEqual(body["log"], {k: v for k, v in head.items() if k != "mode"})
        self.assertEqual(body["log"]["forms"], 1)
        for path in (f"/api/v1/tally/{GUB}/62", f"/api/v1/tally/{GUB}/{tps}",
                     "/api/v1/regions/62", f"/api/v1/tps/{tps}", "/api/v1/log/head"):
            status, headers, body = server.get(path)
            self.assertEqual(status, 200, (path, body))
            self.assertEqual(body["mode"], "test", path)
            self.assertEqual(headers["Suara-Mode"], "test", path)
        status, headers, body = server.get("/api/v1/contests")  # a list: the header says it
        self.assertEqual((status, headers["Suara-Mode"]), (200, "test"))
        status, headers, body = server.get(f"/api/v1/export/{GUB}.csv?level=kabupaten")
        self.assertEqual(status, 200)
        self.assertEqual(body.split("\r\n")[0], SIMULASI)
        self.assertEqual(body.split("\r\n")[1].split(",")[0], "code")

        ws = server.ws()
        try:
            ws.send(json.dumps({"type": "subscribe", "contest": GUB, "region": "62"}))
            snapshot = harness.ws_recv_json(ws, timeout=10)
            self.assertEqual((snapshot["type"], snapshot["mode"]), ("snapshot", "test"))
            ws.send(json.dumps({"type": "subscribe", "contest": "nope", "region": "62"}))
            error = harness.ws_recv_json(ws, timeout=10)
            self.assertEqual((error["type"], error["mode"]), ("error", "test"))
        finally:
            ws.close()
        tally = server.get(f"/api/v1/tally/{GUB}/62")[2]
        self.assertEqual(tally["final"], False)
        self.assertTrue(all(child["final"] is False for child in tally["children"]))


def run_suara(*args):
    return harness.suara(*args)


class GoLiveTest(harness.SuaraTestCase):
    """`suara election live` on a database of its own per test."""

    def fresh_db(self, label):
        db = harness.Database(label, migrate=True, seed=True)
        self.addCleanup(db.drop)
        return db

    def rehearse(self, db, server):
        """A small rehearsal: counted forms, a held one decided, a final region."""
        admin = db.make_token("admin", "62", "rehearsal admin")
        reviewer = db.make_token("reviewer", "62")
        rows = db.rows("SELECT code, dpt FROM tps WHERE code LIKE '62.01.%' ORDER BY code LIMIT 3")
        witness = db.make_token("witness", "62.01")
        for t in (admin, reviewer, witness):
            server.wait_for_token(t)
        for code, dpt in rows[:2]:
            status, _, body = server.post("/api/v1/forms", build_form(sid(), code, int(dpt)),
                                          token=witness)
            self.assertEqual(status, 201, body)
        held = build_form(sid(), rows[2][0], int(rows[2][1]))
        held["valid"] += 1
        status, _, body = server.post("/api/v1/forms", held, token=witness)
        self.assertEqual((status, body["status"]), (201, "held"), body)
        status, _, body = server.post(f"/api/v1/forms/{body['form_id']}/decision",
                                      {"decision": "count", "reason": "latihan"}, token=reviewer)
        self.assertEqual(status, 200, body)
        status, _, body = server.post(f"/api/v1/contests/{GUB}/finalize",
                                      {"region": "62.02", "reason": "pleno latihan"}, token=admin)
        self.assertEqual(status, 200, body)
        return admin

    def counts(self, db):
        return {t: int(db.value(f"SELECT count(*) FROM {t}"))
                for t in ("forms", "decisions", "finals", "tally_snapshots", "tokens", "regions",
                          "tps", "photos", "audit")}

    def wait_for_snapshots(self, db):
        """The rehearsal's timeline is written (--snapshot-s 1) and, with
        nothing moving any more, stays as it is."""
        harness.wait_until(lambda: int(db.value("SELECT count(*) FROM tally_snapshots")) > 0,
                           timeout=30, message="the rehearsal's tally snapshots")
        time.sleep(2.5)

    def test_go_live_deletes_exactly_the_rehearsal_and_restarts_the_chain(self):
        db = self.fresh_db("golive")
        server = self.start_server("--snapshot-s", "1", db=db, ready=True)
        pid = server.proc.pid
        admin = self.rehearse(db, server)
        self.wait_for_snapshots(db)
        before = self.counts(db)
        self.assertEqual((before["forms"], before["decisions"], before["finals"]), (3, 1, 1))
        snapshots = before["tally_snapshots"]

        dry = run_suara("election", "live", "--db", db.conninfo)
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertEqual(dry.stdout.splitlines(), [
            "would delete 1 rows of decisions", "would delete 1 rows of finals",
            "would delete 0 rows of review_requests", "would delete 3 rows of forms", f"would delete {snapshots} rows of tally_snapshots",
            "nothing changed: run again with --confirm to go live"])
        self.assertEqual(self.counts(db), before)
        self.assertEqual(server.get("/api/v1/status")[2]["mode"], "test")

        live = run_suara("election", "live", "--db", db.conninfo, "--confirm")
        self.assertEqual(live.returncode, 0, live.stderr)
        genesis = db.value("SELECT genesis FROM election")
        self.assertEqual(live.stdout.splitlines()[-1],
                         f"live: the receipt chain starts again from genesis {genesis}")
        self.assertRegex(genesis, "^[0-9a-f]{64}$")
        self.assertNotEqual(genesis, "0" * 64)
        after = self.counts(db)
        self.assertEqual({k: after[k] for k in ("forms", "decisions", "finals", "tally_snapshots")},
                         {"forms": 0, "decisions": 0, "finals": 0, "tally_snapshots": 0})
        for kept in ("tokens", "regions", "tps", "photos"):
            self.assertEqual(after[kept], before[kept], kept)
        self.assertEqual(after["audit"], before["audit"] + 1)  # the switch, nothing removed
        detail = json.loads(db.value("SELECT detail FROM audit WHERE kind = 'mode'"))
        self.assertEqual(detail, {"from": "test", "to": "live", "by": "cli", "genesis": genesis,
                                  "deleted": {"decisions": 1, "finals": 1, "forms": 3,
                                              "review_requests": 0,
                                              "tally_snapshots": snapshots}})

        # The running server noticed, ran again on the new state (same process).
        harness.wait_until(lambda: self.status_mode(server) == "live", timeout=60,
                           message="the server to serve live mode")
        self.assertEqual(server.proc.pid, pid)
        server.wait_for("/readyz")
        status, headers, tally = server.get(f"/api/v1/tally/{GUB}/62")
        self.assertEqual((tally["mode"], headers["Suara-Mode"]), ("live", "live"))
        self.assertEqual((tally["tps"]["counted"], tally["valid"], tally["final"]), (0, 0, False))
        csv = server.get(f"/api/v1/export/{GUB}.csv?level=kabupaten")[2]
        self.assertTrue(csv.startswith("code,name,"), csv[:80])
        self.assertEqual(server.get("/api/v1/log/head")[2],
                         {"mode": "live", "form_id": 0, "forms": 0, "receipt": genesis})

        # The public log restarts with the chain: the rehearsal's leaves are gone.
        self.assertEqual(self.log_size(server), 0)

        # The live count starts at form 1, chained to the genesis; verify-log agrees.
        code, dpt = db.rows("SELECT code, dpt FROM tps ORDER BY code LIMIT 1")[0]
        status, _, receipt = server.post("/api/v1/forms", build_form(sid(), code, int(dpt)),
                                         token=admin)
        self.assertEqual((status, receipt["form_id"], receipt["seq"]), (201, 1, 1), receipt)
        # Its receipt, recomputed from the genesis by the independent verifier,
        # is the log's first and only leaf.
        self.assertEqual(logcheck.recompute_chain(db),
                         [("form", "1", receipt["receipt"], receipt["receipt"])])
        harness.wait_until(lambda: self.log_size(server) == 1, timeout=30,
                           message="the live log's first head")
        head = server.get("/api/v1/log/sth")[2]
        self.assertEqual(head["root_hash"], logcheck.leaf_hash(receipt["receipt"]).hex())
        status, _, proof = server.get("/api/v1/log/proof/inclusion?form_id=1&tree_size=1")
        self.assertEqual((status, proof["leaf_index"], proof["audit_path"]), (200, 0, []), proof)
        verify = run_suara("verify-log", "--db", db.conninfo)
        self.assertEqual(verify.returncode, 0, verify.stdout + verify.stderr)
        self.assertEqual(verify.stdout.splitlines(), [
            f"intact: 1 forms; head receipt {receipt['receipt']}",
            "statuses: every stored status follows from the log (1 TPS and contests replayed)"])

        # No way back.
        again = run_suara("election", "live", "--db", db.conninfo, "--confirm")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already live", again.stderr)
        back = subprocess.run([harness.psql_binary(), "-X", "-q", "-d", db.conninfo, "-c",
                               "UPDATE election SET mode = 'test'"], capture_output=True,
                              text=True)
        self.assertIn("switching back to test is refused", back.stderr)
        self.assertEqual(db.value("SELECT mode FROM election"), "live")

    @staticmethod
    def log_size(server):
        """The size of the public log's newest signed head (None before the first)."""
        status, _, head = server.get("/api/v1/log/sth")
        return head["tree_size"] if status == 200 else None

    @staticmethod
    def status_mode(server):
        try:
            status, _, body = server.get("/api/v1/status", timeout=5)
        except OSError:
            return None
        return body.get("mode") if status == 200 else None

    def test_killed_mid_way_leaves_all_or_nothing(self):
        db = self.fresh_db("golive-kill2")
        server = self.start_server("--snapshot-s", "1", db=db, ready=True)
        self.rehearse(db, server)
        self.wait_for_snapshots(db)
        server.stop()
        before = self.counts(db)
        # Another session holds `finals`: the switch has deleted the decisions
        # (inside its transaction) and waits there when it is killed.
        locker = subprocess.Popen([harness.psql_binary(), "-X", "-A", "-t", "-q", "-d",
                                   db.conninfo], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.addCleanup(lambda: locker.poll() is None and locker.kill())
        locker.stdin.write("BEGIN;\nLOCK TABLE finals IN ACCESS EXCLUSIVE MODE;\n"
                           "SELECT 'held';\n")
        locker.stdin.flush()
        self.assertEqual(locker.stdout.readline().strip(), "held")
        cli = subprocess.Popen([harness.SUARA_BIN, "election", "live", "--db", db.conninfo,
                                "--confirm"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        harness.wait_until(lambda: db.value(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE '%finals%' AND pid <> pg_backend_pid()") != "0", timeout=60,
            message="the switch to wait for the finals table")
        # decisions are already deleted inside the open transaction
        cli.send_signal(signal.SIGKILL)
        cli.wait(timeout=30)
        locker.communicate("ROLLBACK;\n", timeout=30)
        harness.wait_until(lambda: db.value(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%finals%'"
            " AND pid <> pg_backend_pid()") == "0", timeout=60, message="the backend to end")
        self.assertEqual(self.counts(db), before)
        self.assertEqual(db.value("SELECT mode || ' ' || epoch FROM election"), "test 1")


_life_db = None


def life_db():
    """One more seeded database, for the tests that finalise and go live:
    AuditTest (which ends live) and then FinalTest (whose regions it leaves alone)."""
    global _life_db
    if _life_db is None:
        _life_db = harness.Database("life", migrate=True, seed=True)
    return _life_db


def candidates(db, contest):
    return int(db.value(f"SELECT count(*) FROM candidates WHERE contest = '{contest}'"))


def tps_in(db, prefix, n, skip=0):
    """n TPS (code, dpt) under prefix without forms, in code order."""
    return [(c, int(d)) for c, d in db.rows(
        f"SELECT code, dpt FROM tps t WHERE code LIKE '{prefix}.%' AND NOT EXISTS"
        f" (SELECT 1 FROM forms f WHERE f.tps = t.code) ORDER BY code LIMIT {n} OFFSET {skip}")]


class FinalTest(harness.SuaraTestCase):
    """After a region's pleno: final, refused to witnesses and reviewers,
    open to an admin's amendment. A database of its own (the province ends final)."""

    def test_final_blocks_witnesses_and_reviewers_but_not_amendments(self):
        db = life_db()
        server = self.start_server(db=db, ready=True)
        admin = db.make_token("admin", "62", "KPU provinsi")
        reviewer = db.make_token("reviewer", "62")
        witness = db.make_token("witness", "62")
        for t in (admin, reviewer, witness):
            server.wait_for_token(t)
        (a, dpt_a), (b, dpt_b), (d, dpt_d) = tps_in(db, "62.04", 3)
        (outside, dpt_o), = tps_in(db, "62.05", 1)
        status, _, counted = server.post("/api/v1/forms", build_form(sid(), a, dpt_a),
                                         token=witness)
        self.assertEqual((status, counted["status"]), (201, "counted"), counted)
        held = build_form(sid(), b, dpt_b)
        held["total"] += 1
        status, _, held = server.post("/api/v1/forms", held, token=witness)
        self.assertEqual((status, held["status"]), (201, "held"), held)

        # Finalise the kabupaten: every kecamatan below it is listed as not yet final.
        status, _, body = server.post(f"/api/v1/contests/{GUB}/finalize",
                                      {"region": "62.04", "reason": "pleno kabupaten"},
                                      token=admin)
        self.assertEqual(status, 200, body)
        kecamatan = [c["code"] for c in server.get("/api/v1/regions/62.04")[2]["children"]]
        self.assertEqual([c["region"] for c in body["children_not_final"]], kecamatan)
        self.assertEqual((body["contest"], body["region"], body["final"], body["reason"]),
                         (GUB, "62.04", True, "pleno kabupaten"))
        node = server.get(f"/api/v1/tally/{GUB}/62.04")[2]
        self.assertEqual(node["final"], True)
        self.assertTrue(all(c["final"] for c in node["children"]))
        province = server.get(f"/api/v1/tally/{GUB}/62")[2]
        self.assertEqual(province["final"], False)
        self.assertEqual({c["region"]: c["final"] for c in province["children"]}["62.04"], True)
        self.assertEqual({c["region"]: c["final"] for c in province["children"]}["62.05"], False)
        self.assertEqual(server.get(f"/api/v1/tally/{GUB}/{a}")[2]["final"], True)
        final = server.get("/api/v1/status")[2]["final"]
        self.assertEqual([(f["contest"], f["region"]) for f in final], [(GUB, "62.04")])

        # Witnesses and reviewers inside are refused; outside, and in another contest, not.
        for tps, dpt in ((a, dpt_a), (d, dpt_d)):
            status, _, body = server.post("/api/v1/forms", build_form(sid(), tps, dpt, shift=1),
                                          token=witness)
            self.assertEqual((status, body["error"]["code"]), (409, "region_final"), body)
        status, _, body = server.post(f"/api/v1/forms/{held['form_id']}/decision",
                                      {"decision": "count", "reason": "ok"}, token=reviewer)
        self.assertEqual((status, body["error"]["code"]), (409, "region_final"), body)
        status, _, body = server.post("/api/v1/forms", build_form(sid(), outside, dpt_o),
                                      token=witness)
        self.assertEqual(status, 201, body)
        bup = "bup-62.04"
        status, _, body = server.post("/api/v1/forms", build_form(
            sid(), d, dpt_d, contest=bup, n_cand=candidates(db, bup)), token=witness)
        self.assertEqual((status, body["status"]), (201, "counted"), body)

        # An admin's amendment is counted as a new revision and marked.
        amend = build_form(sid(), a, dpt_a, shift=2)
        amend["amendment"] = {"reason": "putusan MK"}
        status, _, body = server.post("/api/v1/forms", amend, token=witness)
        self.assertEqual((status, body["error"]["code"]), (403, "amendment_needs_admin"), body)
        status, _, receipt = server.post("/api/v1/forms", amend, token=admin)
        self.assertEqual((status, receipt["status"], receipt["revision"]), (201, "counted", 2),
                         receipt)
        self.assertEqual(receipt["amendment"], {"reason": "putusan MK"})
        self.assertEqual(server.post("/api/v1/forms", amend, token=admin)[:3:2],
                         (200, receipt))
        history = server.get(f"/api/v1/tps/{a}")[2]["contests"]
        gub = next(c for c in history if c["contest"] == GUB)
        self.assertEqual([(f["status"], f.get("amendment")) for f in gub["history"]],
                         [("superseded", None), ("counted", {"reason": "putusan MK"})])
        self.assertEqual(server.get(f"/api/v1/tally/{GUB}/{a}")[2]["votes"], amend["votes"])

        # The rules hold for the request itself too.
        status, _, body = server.post(f"/api/v1/contests/{GUB}/finalize",
                                      {"region": "62.04.01", "reason": "again"}, token=admin)
        self.assertEqual((status, body["error"]["code"]), (409, "already_final"))
        status, _, body = server.post(f"/api/v1/contests/{GUB}/finalize",
                                      {"region": "62.05", "reason": "x"}, token=reviewer)
        self.assertEqual((status, body["error"]["code"]), (403, "forbidden"))
        status, _, body = server.post(f"/api/v1/contests/{GUB}/finalize",
                                      {"region": "62.05", "reason": "", "x": 1}, token=admin)
        self.assertEqual((status, body["error"]["code"]), (422, "invalid_finalize"))
        self.assertEqual(sorted((p["field"], p["code"]) for p in body["error"]["details"]),
                         [("reason", "empty"), ("x", "unknown_field")])
        status, _, body = server.post("/api/v1/contests/bup-62.03/finalize",
                                      {"region": "62.04", "reason": "x"}, token=admin)
        self.assertEqual((status, body["error"]["code"]), (404, "not_found"))
        self.assertEqual(server.get(f"/api/v1/contests/{GUB}/finalize")[0], 405)

        # Final survives a restart; the CLI finalises too, and the server learns it.
        server.stop()
        server.start(ready=True)
        status, _, body = server.post("/api/v1/forms", build_form(sid(), d, dpt_d, shift=3),
                                      token=witness)
        self.assertEqual((status, body["error"]["code"]), (409, "region_final"), body)
        (e, dpt_e), = tps_in(db, "62.05.01", 1)
        cli = harness.suara("election", "finalize", "--db", db.conninfo, "--contest", GUB,
                            "--region", "62.05.01", "--reason", "pleno kecamatan")
        self.assertEqual((cli.returncode, cli.stdout), (0, f"final: {GUB} 62.05.01\n"),
                         cli.stderr)
        harness.wait_until(lambda: server.get(f"/api/v1/tally/{GUB}/62.05.01")[2]["final"],
                           timeout=30, message="the server to learn the CLI's final region")
        status, _, body = server.post("/api/v1/forms", build_form(sid(), e, dpt_e), token=witness)
        self.assertEqual((status, body["error"]["code"]), (409, "region_final"), body)

        # The province: allowed although kabupaten are open, which the answer lists.
        status, _, body = server.post(f"/api/v1/contests/{GUB}/finalize",
                                      {"region": "62", "reason": "pleno provinsi"}, token=admin)
        self.assertEqual(status, 200, body)
        kabupaten = [c["code"] for c in server.get("/api/v1/regions/62")[2]["children"]]
        self.assertEqual([c["region"] for c in body["children_not_final"]],
                         [k for k in kabupaten if k != "62.04"])
        status_list = server.get("/api/v1/status")[2]["final"]
        self.assertEqual([(f["contest"], f["region"]) for f in status_list],
                         [(GUB, "62.04"), (GUB, "62.05.01"), (GUB, "62")])
        self.assertEqual(db.value("SELECT count(*) FROM forms WHERE amendment IS NOT NULL"), "1")


class AuditTest(harness.SuaraTestCase):
    """Every kind of event lands in the audit trail, the CLI's included."""

    def test_every_kind_is_written_and_listed(self):
        db = life_db()
        server = self.start_server("--audit-window-s", "3600", db=db, ready=True)
        admin = db.make_token("admin", "62", "auditor")
        witness = db.make_token("witness", "62.06")
        reviewer = db.make_token("reviewer", "62.06")
        spare = db.make_token("monitor", "62", "spare")
        spare_id = db.value("SELECT max(id) FROM tokens")
        revoke = harness.suara("token", "revoke", "--db", db.conninfo, spare_id)
        self.assertEqual(revoke.returncode, 0, revoke.stderr)
        for t in (admin, witness, reviewer):
            server.wait_for_token(t)
        admin_id = int(db.value("SELECT id FROM tokens WHERE name = 'auditor'"))
        reviewer_id = int(db.value("SELECT id FROM tokens WHERE role = 'reviewer'"))

        (a, dpt_a), (b, dpt_b) = tps_in(db, "62.06", 2)
        held = build_form(sid(), a, dpt_a)
        held["valid"] += 1
        held = server.post("/api/v1/forms", held, token=witness)[2]
        status, _, _ = server.post(f"/api/v1/forms/{held['form_id']}/decision",
                                   {"decision": "reject", "reason": "tidak jelas"},
                                   token=reviewer)
        self.assertEqual(status, 200)
        self.assertEqual(server.post(f"/api/v1/contests/{GUB}/finalize",
                                     {"region": "62.06", "reason": "pleno"}, token=admin)[0], 200)
        amend = build_form(sid(), b, dpt_b)
        amend["amendment"] = {"reason": "PSU"}
        amended = server.post("/api/v1/forms", amend, token=admin)[2]
        self.assertEqual(server.get(f"/api/v1/export/{GUB}.csv?level=kabupaten")[0], 200)
        self.assertEqual(server.get(f"/api/v1/export/{GUB}.csv?level=kabupaten")[0], 200)
        for _ in range(3):
            self.assertEqual(server.get("/api/v1/review", token="sk_" + "x" * 43)[0], 401)
        server.stop()  # the aggregated events of the open window are written at the stop
        live = harness.suara("election", "live", "--db", db.conninfo, "--confirm")
        self.assertEqual(live.returncode, 0, live.stderr)
        server.start(ready=True)

        status, _, body = server.get("/api/v1/audit", token=admin)
        self.assertEqual(status, 200, body)
        events = body["events"]
        self.assertEqual(body["next"], None)
        kinds = [e["kind"] for e in events]
        self.assertEqual(sorted(set(kinds)), sorted([
            "token_created", "token_revoked", "decision", "finalize", "amendment", "export",
            "auth_failed", "mode"]))
        self.assertEqual(kinds.count("token_created"), 4)  # AuditTest runs first on life_db()
        self.assertEqual([e["id"] for e in events], sorted(e["id"] for e in events))
        by_kind = {}
        for e in events:
            by_kind.setdefault(e["kind"], []).append(e)
        self.assertEqual(by_kind["token_revoked"][0]["detail"],
                         {"id": int(spare_id), "role": "monitor", "scope": "62", "by": "cli"})
        decision = by_kind["decision"][0]
        self.assertEqual((decision["token_id"], decision["detail"]["decision"],
                          decision["detail"]["reason"], decision["detail"]["form_id"]),
                         (reviewer_id, "reject", "tidak jelas", held["form_id"]))
        self.assertEqual((by_kind["finalize"][0]["token_id"],
                          by_kind["finalize"][0]["detail"]["region"]), (admin_id, "62.06"))
        self.assertEqual(by_kind["amendment"][0]["detail"]["form_id"], amended["form_id"])
        self.assertEqual(by_kind["amendment"][0]["detail"]["reason"], "PSU")
        self.assertEqual([(e["detail"]["source"], e["detail"]["what"], e["detail"]["count"])
                          for e in by_kind["export"]], [("127.0.0.1", f"{GUB} kabupaten", 2)])
        self.assertEqual([(e["detail"]["source"], e["detail"]["count"])
                          for e in by_kind["auth_failed"]], [("127.0.0.1", 3)])
        self.assertEqual(by_kind["mode"][0]["detail"]["to"], "live")
        self.assertRegex(events[0]["at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

        # Filter and cursor.
        status, _, page = server.get("/api/v1/audit?kind=token_created&limit=3", token=admin)
        self.assertEqual([e["kind"] for e in page["events"]], ["token_created"] * 3)
        self.assertEqual(page["next"], page["events"][-1]["id"])
        status, _, rest = server.get(f"/api/v1/audit?kind=token_created&after={page['next']}",
                                     token=admin)
        self.assertEqual((len(rest["events"]), rest["next"]), (1, None))
        for query, code in (("kind=Bad", "bad_kind"), ("limit=0", "bad_limit"),
                            ("limit=1001", "bad_limit"), ("after=-1", "bad_cursor"),
                            ("after=x", "bad_cursor")):
            status, _, body = server.get(f"/api/v1/audit?{query}", token=admin)
            self.assertEqual((status, body["error"]["code"]), (400, code), query)
        self.assertEqual(server.get("/api/v1/audit", token=witness)[0], 403)
        self.assertEqual(server.get("/api/v1/audit")[0], 401)
        # Append-only, in the database too.
        for sql in ("UPDATE audit SET kind = 'x'", "DELETE FROM audit", "TRUNCATE audit"):
            out = subprocess.run([harness.psql_binary(), "-X", "-q", "-d", db.conninfo, "-c",
                                  sql], capture_output=True, text=True)
            self.assertIn("the audit trail is append-only", out.stderr, sql)


class AuthFailedBoundedTest(harness.SuaraTestCase):
    """A flood of bad tokens costs one audit row per source and window."""

    def test_ten_thousand_bad_requests_make_one_row(self):
        before = int(self.value("SELECT count(*) FROM audit WHERE kind = 'auth_failed'"))
        server = self.start_server("--audit-window-s", "3600", ready=True)
        for i in range(10000):
            headers = {"Authorization": "Basic eA=="} if i % 2 else None
            status, _, _ = server.request("GET", "/api/v1/review", headers=headers,
                                          token=None if i % 2 else f"sk_bad{i}")
            self.assertEqual(status, 401)
        server.stop()
        rows = self.rows("SELECT detail->>'source', detail->>'count' FROM audit"
                         " WHERE kind = 'auth_failed'")
        self.assertEqual(len(rows) - before, 1)
        self.assertEqual(tuple(rows[-1]), ("127.0.0.1", "10000"))


if __name__ == "__main__":
    harness.main()
