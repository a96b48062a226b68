"""Nothing acknowledged is lost or counted twice: parallel retries of one
submission, restart equality (live tallies = reloaded tallies = a SQL
recount), kill -9 during a burst, and the full Pilgub Kalimantan Tengah 2024
result submitted for all 4,446 TPS in parallel."""

import http.client
import json
import queue
import threading
import time

import harness
from harness import build_form, contribution, flat_tally, sql_recount

GUB = "gub-62"
THREADS = 10

# KPU's official result of the Pilgub Kalimantan Tengah 2024 (sah / tidak sah / per paslon).
OFFICIAL_VALID = 1300490
OFFICIAL_INVALID = 63980
OFFICIAL_VOTES = {"1": 279426, "2": 468925, "3": 484754, "4": 67385}
SEED_DPT = 1960053
SEED_TPS = 4446


# --- forms -------------------------------------------------------------------

def held_form(sid, tps, dpt, **kw):
    """Fails valid_sum only."""
    form = build_form(sid, tps, dpt, **kw)
    form["votes"]["1"] += 1
    return form


# --- tallies -------------------------------------------------------------------

def contest_region(db, contest):
    return db.value(f"SELECT region FROM contests WHERE id = '{contest}'")


def candidate_count(db, contest):
    return int(db.value(f"SELECT count(*) FROM candidates WHERE contest = '{contest}'"))


def snapshot(test, server, contest, workers=3):
    """Every tally node of the contest, read through the API: region code ->
    the node (without its children), seq included. Each node is read once on
    its own and once as its parent's child; both readings must agree."""
    region = contest_region(test.dbx(server), contest)
    regions = [r[0] for r in test.dbx(server).rows(
        f"SELECT code FROM regions WHERE code = '{region}' OR code LIKE '{region}.%' "
        "ORDER BY code")]
    bodies = {}
    failures = []

    def fetch(part):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        try:
            for code in part:
                conn.request("GET", f"/api/v1/tally/{contest}/{code}")
                resp = conn.getresponse()
                raw = resp.read()
                if resp.status != 200:
                    failures.append((code, resp.status, raw[:200]))
                    return
                bodies[code] = json.loads(raw)
        except Exception as e:  # reported below
            failures.append(repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=fetch, args=(regions[k::workers],))
               for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    test.assertEqual(failures, [])
    nodes = {}
    as_child = {}
    for code in regions:
        body = bodies[code]
        children = body.pop("children")
        test.assertEqual(body.pop("contest"), contest)
        test.assertEqual(body.pop("mode"), "test")  # a read on its own says the mode
        nodes[code] = body
        for child in children:
            as_child[child["region"]] = child
    for code, child in as_child.items():
        if code in nodes:
            test.assertEqual(child, nodes[code], f"{contest} {code}: as a child != on its own")
        else:
            nodes[code] = child  # TPS nodes
    return nodes


class DurabilityCase(harness.SuaraTestCase):
    def dbx(self, server):
        return self._dbs.get(server.conninfo, self.db)

    def setUp(self):
        super().setUp()
        self._dbs = {self.db.conninfo: self.db}

    def use_db(self, db):
        self._dbs[db.conninfo] = db

    def assert_error(self, status, body):
        self.assertIsInstance(body, dict, body)
        self.assertEqual(set(body.get("error", {})), {"code", "message", "details"}, body)

    def assert_matches_sql(self, server, contest, db=None, nodes=None):
        """Every API node of the contest equals the SQL recount."""
        db = db or self.db
        nodes = nodes if nodes is not None else snapshot(self, server, contest)
        root = contest_region(db, contest)
        recount = {r: v for r, v in sql_recount(db, contest).items()
                   if r == root or r.startswith(root + ".")}
        self.assertEqual(set(recount) - set(nodes), set(), "regions missing from the API")
        mismatches = []
        for region, node in nodes.items():
            got = {k: v for k, v in flat_tally(node).items() if v and k != "tps.total"}
            want = {k: v for k, v in recount.get(region, {}).items() if v}
            if got != want:
                mismatches.append((region, got, want))
        self.assertEqual(mismatches[:5], [], f"{len(mismatches)} nodes of {contest} differ "
                                             "from the SQL recount (region, api, sql)")
        return nodes


def post_json(conn, form, token):
    """POST on an http.client connection; (status, raw body bytes)."""
    conn.request("POST", "/api/v1/forms", body=json.dumps(form).encode(),
                 headers={"Content-Type": "application/json",
                          "Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    return resp.status, resp.read()


# --- parallel retries ----------------------------------------------------------------

class ParallelRetryTest(DurabilityCase):
    def test_same_submission_from_ten_threads(self):
        picks = self.fresh_tps(20, "62.02")
        token = self.make_token("witness", "62.02")
        server = self.start_server(ready=True)
        forms = [build_form(f"parallel-{tps}", tps, dpt, shift=i)
                 for i, (tps, dpt) in enumerate(picks)]
        before = {r: flat_tally(server.get(f"/api/v1/tally/{GUB}/{r}")[2])
                  for r in ("62", "62.02")}
        barrier = threading.Barrier(THREADS)
        results = [[None] * THREADS for _ in forms]
        errors = []

        def worker(k):
            conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
            try:
                for i, form in enumerate(forms):
                    barrier.wait(timeout=30)
                    results[i][k] = post_json(conn, form, token)
            except Exception as e:  # reported below
                errors.append(repr(e))
                barrier.abort()
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        for form, answers in zip(forms, results):
            statuses = sorted(status for status, _ in answers)
            self.assertEqual(statuses, [200] * (THREADS - 1) + [201], form["tps"])
            bodies = [json.loads(raw) for _, raw in answers]
            for body in bodies:
                self.assertEqual(body, bodies[0], form["tps"])
            self.assertEqual(bodies[0]["status"], "counted")
            self.assertEqual(bodies[0]["submission_id"], form["submission_id"])
        sids = ", ".join(f"'{f['submission_id']}'" for f in forms)
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE submission_id IN ({sids})"),
                         str(len(forms)))
        tpss = ", ".join(f"'{f['tps']}'" for f in forms)
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE tps IN ({tpss})"),
                         str(len(forms)))
        want = {}
        for form in forms:
            for k, v in contribution(form).items():
                want[k] = want.get(k, 0) + v
        for region in ("62", "62.02"):
            after = flat_tally(server.get(f"/api/v1/tally/{GUB}/{region}")[2])
            moved = {k: after[k] - before[region][k] for k in after
                     if after[k] != before[region][k]}
            self.assertEqual(moved, want, region)
        self.assert_matches_sql(server, GUB)


# --- restart -------------------------------------------------------------------------

class RestartTest(DurabilityCase):
    def test_restart_equality(self):
        bup = "bup-62.03"
        n_bup = candidate_count(self.db, bup)
        picks = self.fresh_tps(30, "62.03")
        w1, w2, w3 = (self.make_token("witness", "62.03") for _ in range(3))
        reviewer = self.make_token("reviewer", "62.03")
        server = self.start_server(ready=True)

        sent = []

        def submit(form, token, status=None):
            code, _, body = server.post("/api/v1/forms", form, token=token)
            self.assertEqual(code, 201, body)
            sent.append((form, token, body))
            if status:
                self.assertEqual(body["status"], status, (form["submission_id"], body))
            return body

        def decide(form_id, decision):
            code, _, body = server.post(f"/api/v1/forms/{form_id}/decision",
                                        {"decision": decision, "reason": "restart test"},
                                        token=reviewer)
            self.assertEqual(code, 200, body)
            return body

        ids = {}
        for i, (tps, dpt) in enumerate(picks):
            sid = f"restart-{i}"
            if i < 24:
                submit(build_form(sid + "-g", tps, dpt, shift=i), w1, "counted")
                submit(build_form(sid + "-b", tps, dpt, bup, n_bup, shift=i), w1, "counted")
            elif i < 27:
                ids[i] = submit(held_form(sid + "-g", tps, dpt), w1, "held")["form_id"]
            else:
                submit(build_form(sid + "-b", tps, dpt, bup, n_bup), w2, "counted")
        for i in range(0, 4):  # corrections
            tps, dpt = picks[i]
            submit(build_form(f"restart-{i}-g2", tps, dpt, total=dpt // 2, shift=i + 1), w1,
                   "counted")
            submit(build_form(f"restart-{i}-b2", tps, dpt, bup, n_bup, total=dpt // 2), w1,
                   "counted")
        for i in range(4, 9):  # confirmations
            tps, dpt = picks[i]
            submit(build_form(f"restart-{i}-g-conf", tps, dpt, shift=i), w2, "counted")
            submit(build_form(f"restart-{i}-b-conf", tps, dpt, bup, n_bup, shift=i), w2,
                   "counted")
        # a confirmed TPS whose first witness corrects: no longer confirmed
        tps, dpt = picks[4]
        submit(build_form("restart-4-g3", tps, dpt, total=dpt // 3), w1, "counted")
        for i in range(9, 15):  # disputes
            tps, dpt = picks[i]
            ids[i] = submit(build_form(f"restart-{i}-g-disp", tps, dpt, total=dpt // 2), w3,
                            "disputed")["form_id"]
            submit(build_form(f"restart-{i}-b-disp", tps, dpt, bup, n_bup, total=dpt // 2), w3,
                   "disputed")
        # held, then corrected by the same witness (the held form is superseded)
        tps, dpt = picks[15]
        submit(held_form("restart-15-g-held", tps, dpt, total=dpt // 2), w1, "held")
        submit(build_form("restart-15-g-fix", tps, dpt, total=dpt // 2 + 1), w1, "counted")
        # held after counted: counted stays
        tps, dpt = picks[16]
        submit(held_form("restart-16-g-held", tps, dpt, total=dpt // 2), w1, "held")
        # decisions
        decide(ids[24], "count")
        decide(ids[25], "reject")
        decide(ids[9], "count")
        decide(ids[10], "reject")

        seq_before = server.get("/readyz")[2].get("seq")
        before = {c: self.assert_matches_sql(server, c) for c in (GUB, bup)}
        views = {tps: server.get(f"/api/v1/tps/{tps}")[2] for tps, _ in picks}
        code, _, review = server.get("/api/v1/review?region=62.03", token=reviewer)
        self.assertEqual(code, 200, review)
        self.assertGreater(before[GUB]["62"]["tps"]["confirmed"], 0)
        self.assertGreater(before[GUB]["62"]["tps"]["held"], 0)
        self.assertGreater(before[GUB]["62"]["tps"]["disputed"], 0)

        server.stop()
        server.start(ready=True)
        for contest in (GUB, bup):
            after = self.assert_matches_sql(server, contest)
            diffs = [(r, before[contest][r], after.get(r)) for r in before[contest]
                     if before[contest][r] != after.get(r)]
            self.assertEqual(diffs[:3], [], f"{len(diffs)} nodes of {contest} changed over a "
                                            "restart (region, before, after)")
            self.assertEqual(set(after), set(before[contest]))
        for tps, _ in picks:
            self.assertEqual(server.get(f"/api/v1/tps/{tps}")[2], views[tps], tps)
        self.assertEqual(server.get("/api/v1/review?region=62.03", token=reviewer)[2], review)
        if seq_before is not None:
            self.assertEqual(server.get("/readyz")[2].get("seq"), seq_before)
        # every retry gets the first answer again, whatever happened to the form since
        for form, token, receipt in sent:
            code, _, body = server.post("/api/v1/forms", form, token=token)
            self.assertEqual((code, body), (200, receipt), form["submission_id"])
        # and it carries on: new ids and seqs after the old ones
        tps, dpt = self.fresh_tps(1, "62.03")[0]
        body = submit(build_form("restart-after", tps, dpt), w1, "counted")
        self.assertEqual(body["form_id"], int(self.value("SELECT max(id) FROM forms")))
        self.assertEqual(body["seq"], int(self.value(
            "SELECT greatest((SELECT max(seq) FROM forms), (SELECT max(seq) FROM decisions))")))
        self.assertEqual(server.get(f"/api/v1/tally/{GUB}/62")[2]["seq"], body["seq"])


# --- a database too slow to confirm -------------------------------------------------------

class SlowDatabaseTest(DurabilityCase):
    def test_ack_timeout_then_retry(self):
        (t1, d1), (t2, d2) = self.fresh_tps(2, "62.09")
        token = self.make_token("witness", "62.09")
        server = self.start_server("--ack-timeout-ms", "500", ready=True)
        a = build_form("slow-a", t1, d1)
        b = build_form("slow-b", t2, d2, shift=1)
        before = flat_tally(server.get(f"/api/v1/tally/{GUB}/62.09")[2])

        # a session holds the forms table: the batch cannot commit
        unlock = self.lock_table("forms")

        started = time.monotonic()
        status, headers, body = server.post("/api/v1/forms", a, token=token)
        waited = time.monotonic() - started
        self.assertEqual(status, 503, body)
        self.assert_error(status, body)
        self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        self.assertGreaterEqual(waited, 0.4)
        self.assertLess(waited, 5)
        for form in (a, b):  # a retry while still blocked: never acknowledged early
            status, headers, body = server.post("/api/v1/forms", form, token=token)
            self.assertEqual(status, 503, body)
            self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        # nothing is counted before it is committed
        self.assertEqual(flat_tally(server.get(f"/api/v1/tally/{GUB}/62.09")[2]), before)

        unlock()
        receipts = {}
        for form in (a, b):
            status, _, body = server.post("/api/v1/forms", form, token=token)
            self.assertIn(status, (200, 201), body)
            self.assertEqual(body["status"], "counted", body)
            receipts[form["submission_id"]] = body
        for sid, body in receipts.items():
            self.assertEqual(
                self.rows(f"SELECT id, status FROM forms WHERE submission_id = '{sid}'"),
                [(str(body["form_id"]), "counted")])
        after = flat_tally(server.get(f"/api/v1/tally/{GUB}/62.09")[2])
        want = {k: contribution(a).get(k, 0) + contribution(b).get(k, 0)
                for k in set(contribution(a)) | set(contribution(b))}
        self.assertEqual({k: after[k] - before[k] for k in after if after[k] != before[k]},
                         {k: v for k, v in want.items() if v})
        self.assert_matches_sql(server, GUB)


    def test_queue_full(self):
        tps = self.fresh_tps(4, "62.10")
        token = self.make_token("witness", "62.10")
        server = self.start_server("--ack-timeout-ms", "1000", "--queue-max", "1",
                                   "--writer-depth", "2", ready=True)
        forms = [build_form(f"full-{i}", t, d, shift=i) for i, (t, d) in enumerate(tps)]
        unlock = self.lock_table("forms")
        # the first two forms are in the two batches in flight (--writer-depth 2),
        # the first waiting for the lock; the third is queued
        for form in forms[:3]:
            status, headers, body = server.post("/api/v1/forms", form, token=token)
            self.assertEqual(status, 503, body)
        # the queue is full: refused at once, and never stored
        started = time.monotonic()
        status, headers, body = server.post("/api/v1/forms", forms[3], token=token)
        self.assertLess(time.monotonic() - started, 0.8)
        self.assertEqual(status, 503, body)
        self.assert_error(status, body)
        self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        unlock()
        harness.wait_until(lambda: self.value(
            "SELECT count(*) FROM forms WHERE submission_id LIKE 'full-%'") == "3",
            message="the three accepted forms to be written")
        self.assertEqual(self.value("SELECT count(*) FROM forms WHERE submission_id = 'full-3'"),
                         "0")
        for form, want in zip(forms, (200, 200, 200, 201)):
            status, _, body = server.post("/api/v1/forms", form, token=token)
            self.assertEqual(status, want, (form["submission_id"], body))
            self.assertEqual(body["status"], "counted")
        self.assert_matches_sql(server, GUB)


# --- kill -9 ---------------------------------------------------------------------

class KillTest(DurabilityCase):
    WORKERS = 4
    KILL_AFTER = 150

    def test_kill_during_burst(self):
        rows = self.db.rows("SELECT code, dpt FROM tps t WHERE left(code, 5) IN "
                            "('62.06', '62.07', '62.08') AND NOT EXISTS "
                            "(SELECT 1 FROM forms f WHERE f.tps = t.code) ORDER BY code")
        picks = [(c, int(d)) for c, d in rows][:480]
        self.assertEqual(len(picks), 480)
        tokens = [self.make_token("witness", "62") for _ in range(self.WORKERS)]
        server = self.start_server(ready=True)
        # per worker: first forms of its own TPS, then second opinions on the
        # next worker's TPS (confirmations, disputes), some held forms
        plans = [[] for _ in range(self.WORKERS)]
        for i, (tps, dpt) in enumerate(picks):
            k = i % self.WORKERS
            if i % 17 == 5:
                plans[k].append((held_form(f"kill-{i}", tps, dpt), tokens[k]))
            else:
                plans[k].append((build_form(f"kill-{i}", tps, dpt, shift=i), tokens[k]))
            if i % 3 == 0:
                j = (k + 1) % self.WORKERS
                same = i % 2 == 0
                plans[j].append((build_form(f"kill-{i}-2", tps, dpt, shift=i if same else i + 1),
                                 tokens[j]))
        every = {form["submission_id"]: (form, token) for plan in plans for form, token in plan}
        acked = {}
        lock = threading.Lock()
        enough = threading.Event()

        def worker(plan):
            conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
            try:
                for form, token in plan:
                    status, raw = post_json(conn, form, token)
                    with lock:
                        if status in (200, 201):
                            acked[form["submission_id"]] = json.loads(raw)
                        if len(acked) >= self.KILL_AFTER:
                            enough.set()
            except (OSError, http.client.HTTPException):
                pass  # the server is gone
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(p,)) for p in plans]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(60), "the burst never reached the kill point")
        server.kill()
        for t in threads:
            t.join(60)
        with lock:
            acked = dict(acked)
        self.assertGreaterEqual(len(acked), self.KILL_AFTER)
        self.assertLess(len(acked), len(every), "the kill came after the burst")

        server.start(ready=True)
        stored = {r[0]: r[1:] for r in self.rows(
            "SELECT submission_id, id, outcome, valid, total, array_to_string(votes, ',') "
            "FROM forms WHERE submission_id LIKE 'kill-%'")}
        for sid, receipt in acked.items():
            self.assertIn(sid, stored, f"acknowledged {sid} was lost")
            form_id, outcome, valid, total, votes = stored[sid]
            form = every[sid][0]
            self.assertEqual(int(form_id), receipt["form_id"], sid)
            self.assertEqual(outcome, "confirmation" if receipt.get("confirms") else
                             receipt["status"], sid)
            self.assertEqual((int(valid), int(total)), (form["valid"], form["total"]), sid)
            self.assertEqual(votes, ",".join(str(v) for v in form["votes"].values()), sid)
        self.assertEqual(self.value("SELECT count(*) - count(DISTINCT submission_id) FROM forms"),
                         "0")
        self.assert_matches_sql(server, GUB)

        # every acknowledged form answers the same after the restart; every
        # other one can be sent again with its submission_id
        conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
        try:
            for sid, receipt in acked.items():
                status, raw = post_json(conn, *every[sid])
                self.assertEqual(status, 200, raw)
                self.assertEqual(json.loads(raw), receipt, sid)
            for sid, (form, token) in every.items():
                if sid in acked:
                    continue
                status, raw = post_json(conn, form, token)
                self.assertIn(status, (200, 201), raw)
                self.assertEqual(status == 200, sid in stored, sid)
        finally:
            conn.close()
        self.assertEqual(self.value("SELECT count(*) FROM forms WHERE submission_id LIKE 'kill-%'"),
                         str(len(every)))
        self.assert_matches_sql(server, GUB)


# --- the official Pilgub result ---------------------------------------------------------

def pilgub_forms(tps_rows):
    """One form per TPS whose province sums are exactly the official result;
    each passes every check. Totals are spread in proportion to DPT, then
    split into the four paslon and invalid votes with exact, telescoping
    rounding (the sums of every column and every row come out exact)."""
    dpt_total = sum(d for _, d in tps_rows)
    grand = OFFICIAL_VALID + OFFICIAL_INVALID
    cats = [OFFICIAL_VOTES[k] for k in ("1", "2", "3", "4")] + [OFFICIAL_INVALID]
    cum = [sum(cats[:k]) for k in range(len(cats) + 1)]  # 0 .. grand

    def split(a, b):
        f = [[(x * s) // grand for s in cum] for x in (a, b)]
        return [(f[1][k] - f[1][k - 1]) - (f[0][k] - f[0][k - 1]) for k in range(1, len(cum))]

    forms = []
    c_dpt = 0
    c_total = 0
    for i, (tps, dpt) in enumerate(tps_rows):
        c_dpt += dpt
        total = (c_dpt * grand) // dpt_total - c_total
        parts = split(c_total, c_total + total)
        c_total += total
        assert min(parts) >= 0 and sum(parts) == total <= dpt, (tps, parts, dpt)
        *votes, invalid = parts
        form = build_form(f"pilgub-{tps}", tps, dpt, votes=votes, invalid=invalid)
        # every consistency check, as the contract states them
        assert sum(form["votes"].values()) == form["valid"]
        assert form["valid"] + form["invalid"] == form["total"] == total
        b, r, v = form["ballots"], form["registered"], form["voted"]
        assert b["used"] + b["returned"] + b["unused"] == b["received"]
        assert sum(v[k][s] for k in v for s in ("m", "f")) == b["used"] == total
        assert all(v["dpt"][s] <= r["dpt"][s] for s in ("m", "f"))
        assert r["dpt"]["m"] + r["dpt"]["f"] == dpt
        assert b["received"] <= dpt + (dpt * 25 + 999) // 1000 and dpt <= 600
        assert form["disability"]["voted"] <= form["disability"]["registered"]
        forms.append(form)
    assert c_total == grand
    return forms


class PilgubTest(DurabilityCase):
    WORKERS = 8

    def test_official_result(self):
        db = harness.Database("pilgub", migrate=True, seed=True)
        self.use_db(db)
        rows = [(c, int(d)) for c, d in db.rows("SELECT code, dpt FROM tps ORDER BY code")]
        self.assertEqual(len(rows), SEED_TPS)
        forms = pilgub_forms(rows)
        self.assertEqual(sum(f["valid"] for f in forms), OFFICIAL_VALID)
        self.assertEqual(sum(f["invalid"] for f in forms), OFFICIAL_INVALID)
        for k, v in OFFICIAL_VOTES.items():
            self.assertEqual(sum(f["votes"][k] for f in forms), v)
        kabs = [r[0] for r in db.rows("SELECT code FROM regions WHERE level = 'kabupaten'")]
        tokens = {kab: db.make_token("witness", kab) for kab in kabs}
        server = self.start_server("--rate-per-minute", "0", db=db, ready=True)

        work = queue.Queue()
        for form in forms:
            work.put(form)
        answers = {}
        errors = []
        lock = threading.Lock()

        def worker():
            conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
            try:
                while True:
                    try:
                        form = work.get_nowait()
                    except queue.Empty:
                        return
                    status, raw = post_json(conn, form, tokens[form["tps"][:5]])
                    with lock:
                        answers[form["submission_id"]] = (status, raw)
            except Exception as e:
                errors.append(repr(e))
            finally:
                conn.close()

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(self.WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        elapsed = time.monotonic() - started
        self.assertEqual(errors, [])
        self.assertEqual(len(answers), SEED_TPS)
        bad = [(sid, s, raw[:200]) for sid, (s, raw) in answers.items() if s != 201]
        self.assertEqual(bad[:3], [], f"{len(bad)} forms not stored")
        warned = 0
        for sid, (_, raw) in answers.items():
            body = json.loads(raw)
            self.assertEqual(body["status"], "counted", body)
            self.assertFalse([c for c in body["checks"] if c["severity"] == "error"], body)
            warned += any(c["severity"] == "warning" for c in body["checks"])

        status, _, province = server.get(f"/api/v1/tally/{GUB}/62")
        self.assertEqual(status, 200)
        self.assertEqual(province["valid"], OFFICIAL_VALID)
        self.assertEqual(province["invalid"], OFFICIAL_INVALID)
        self.assertEqual(province["votes"], OFFICIAL_VOTES)
        self.assertEqual(province["voted"], OFFICIAL_VALID + OFFICIAL_INVALID)
        self.assertEqual(province["registered"], SEED_DPT)
        # 4.7 % of the official ballots are invalid, spread over every TPS: each
        # counted form carries the invalid_share warning (flagged); no photos.
        self.assertEqual(province["tps"], {"total": SEED_TPS, "counted": SEED_TPS, "held": 0,
                                           "disputed": 0, "confirmed": 0, "flagged": warned,
                                           "with_photo": 0, "kpu_differs": 0})
        self.assertEqual(sum(c["valid"] for c in province["children"]), OFFICIAL_VALID)
        self.assertEqual(db.rows(
            "SELECT count(*), sum(valid), sum(invalid), sum(votes[1]), sum(votes[2]), "
            "sum(votes[3]), sum(votes[4]) FROM forms "
            "WHERE status = 'counted' AND contest = 'gub-62'"),
            [(str(SEED_TPS), str(OFFICIAL_VALID), str(OFFICIAL_INVALID),
              *(str(OFFICIAL_VOTES[k]) for k in ("1", "2", "3", "4")))])
        self.assert_matches_sql(server, GUB, db=db)
        print(f"\n  pilgub: {SEED_TPS} forms in {elapsed:.2f}s", flush=True)


if __name__ == "__main__":
    harness.main()
