"""Crash safety: `suara serve` is killed with SIGKILL at random moments while
witnesses submit, restarted on the same database and port, and the witnesses
resend whatever was not acknowledged. Afterwards every acknowledged form is
stored exactly once with the id, revision and outcome it was acknowledged
with, nothing is stored twice, and the tallies the server reports equal both a
SQL recount over the stored forms and the totals the generator expects.

The generator is deterministic (seeded); only the kill moments depend on
timing, and the assertions hold wherever they land.
"""

import http.client
import json
import random
import threading
import time

import harness

SEED = 6202
THREADS = 6
TPS_PER_THREAD = 90
KILLS = 4
CONTEST = "gub-62"
CANDIDATES = (1, 2, 3, 4)
LOAD_DEADLINE = 45.0  # seconds for the whole load phase, kills and restarts included


def form_for(sid, tps, dpt, held=False):
    """A gub-62 form for `tps` (roll of `dpt` voters) that passes every check,
    with a turnout and a share of the votes drawn from a generator seeded by
    sid (harness.build_form), or that fails valid_sum when held=True."""
    rng = random.Random(sid)
    form = harness.build_form(sid, tps, dpt, total=rng.randint(dpt // 3, dpt * 9 // 10),
                              shift=rng.randrange(len(CANDIDATES)))
    if held:
        form["votes"]["1"] += 1  # stored, but held
    return form


class Plan:
    """Every thread's forms in the order it sends them, and what the ledger
    must make of them: per TPS one witness, whose passing forms are counted
    (a later one is a correction, the earlier becomes superseded) and whose
    held forms wait for review until the witness's next form supersedes them."""

    def __init__(self, tps_pool):
        rng = random.Random(SEED)
        chosen = rng.sample(tps_pool, THREADS * TPS_PER_THREAD)
        self.threads = []
        self.final_status = {}   # sid -> status expected in the database
        self.outcome = {}        # sid -> status the witness must be told
        self.revision = {}       # sid -> revision expected
        self.forms = {}          # sid -> body
        self.counted = {}        # tps -> sid of the counted form
        self.held_tps = set()
        for t in range(THREADS):
            mine = chosen[t * TPS_PER_THREAD:(t + 1) * TPS_PER_THREAD]
            history = {}  # tps -> [sid, ...] in order
            pending = {}  # tps -> sid of this witness's held form
            sent = []
            for i, (code, dpt) in enumerate(mine):
                steps = [(code, dpt, False)]
                r = rng.random()
                if i > 0 and r < 0.2:
                    steps.append(mine[rng.randrange(i)] + (False,))  # a correction
                elif i > 0 and r < 0.35:
                    steps.append(mine[rng.randrange(i)] + (True,))   # a held form
                for code2, dpt2, held in steps:
                    sid = f"crash-{t}-{len(sent):03d}"
                    self.forms[sid] = form_for(sid, code2, dpt2, held)
                    revs = history.setdefault(code2, [])
                    self.revision[sid] = len(revs) + 1
                    revs.append(sid)
                    if code2 in pending:
                        self.final_status[pending.pop(code2)] = "superseded"
                    if held:
                        self.outcome[sid] = self.final_status[sid] = "held"
                        pending[code2] = sid
                    else:
                        self.outcome[sid] = self.final_status[sid] = "counted"
                        old = self.counted.get(code2)
                        if old:
                            self.final_status[old] = "superseded"
                        self.counted[code2] = sid
                    sent.append(sid)
            self.held_tps.update(pending)
            self.threads.append(sent)

    def expected_node(self, prefix):
        """Expected totals of the tally node of region `prefix`."""
        node = {"counted": 0, "held": 0, "registered": 0, "voted": 0, "valid": 0,
                "invalid": 0, "votes": {str(n): 0 for n in CANDIDATES}}
        for code, sid in self.counted.items():
            if not code.startswith(prefix):
                continue
            f = self.forms[sid]
            node["counted"] += 1
            node["registered"] += sum(v for row in f["registered"].values() for v in row.values())
            node["voted"] += f["total"]
            node["valid"] += f["valid"]
            node["invalid"] += f["invalid"]
            for k, v in f["votes"].items():
                node["votes"][k] += v
        node["held"] = sum(1 for code in self.held_tps if code.startswith(prefix))
        return node


class Witness(threading.Thread):
    """Sends its forms in order on its own keep-alive connection, each retried
    (same submission_id, same body) until it is answered 201 or 200."""

    def __init__(self, port, token, sids, plan, deadline):
        super().__init__(daemon=True)
        self.port = port
        self.token = token
        self.sids = sids
        self.plan = plan
        self.deadline = deadline
        self.acks = {}      # sid -> (status, body)
        self.problems = []  # anything other than 201/200/503/connection trouble
        self.retries = 0
        self.conn = None

    def post(self, body):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        self.conn.request("POST", "/api/v1/forms", body=body,
                          headers={"Authorization": f"Bearer {self.token}",
                                   "Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.will_close:
            self.conn.close()
            self.conn = None
        return resp.status, data

    def run(self):
        try:
            for sid in self.sids:
                body = json.dumps(self.plan.forms[sid]).encode()
                while True:
                    if time.monotonic() > self.deadline:
                        self.problems.append(f"{sid}: not acknowledged before the deadline")
                        return
                    try:
                        status, data = self.post(body)
                    except (OSError, http.client.HTTPException):
                        if self.conn is not None:
                            self.conn.close()
                        self.conn = None
                        self.retries += 1
                        time.sleep(0.02)
                        continue
                    if status in (200, 201):
                        self.acks[sid] = (status, json.loads(data))
                        break
                    if status == 503:
                        self.retries += 1
                        time.sleep(0.05)
                        continue
                    self.problems.append(f"{sid}: {status} {data[:200]!r}")
                    break
        finally:
            if self.conn is not None:
                self.conn.close()


class CrashTest(harness.SuaraTestCase):
    def test_sigkill_during_load(self):
        tps_pool = [(code, int(dpt)) for code, dpt in
                    self.rows("SELECT code, dpt FROM tps WHERE dpt BETWEEN 50 AND 600 "
                              "ORDER BY code")]
        plan = Plan(tps_pool)
        total_forms = len(plan.forms)
        tokens = [self.make_token("witness", "62", f"crash witness {t}") for t in range(THREADS)]
        server = self.start_server("--rate-per-minute", 0, "--batch-delay-ms", 5, ready=True)
        start = time.monotonic()
        witnesses = [Witness(server.port, tokens[t], plan.threads[t], plan, start + LOAD_DEADLINE)
                     for t in range(THREADS)]
        for w in witnesses:
            w.start()

        rng = random.Random(SEED + 1)
        acked = lambda: sum(len(w.acks) for w in witnesses)
        kills = []
        for k in range(KILLS):
            # somewhere in the k-th slice of the load, a few ms past a random ack count
            target = int(total_forms * (k + rng.uniform(0.2, 0.8)) / (KILLS + 1))
            harness.wait_until(lambda: acked() >= target or
                               not any(w.is_alive() for w in witnesses),
                               timeout=LOAD_DEADLINE, interval=0.001,
                               message=f"{target} acknowledgements")
            time.sleep(rng.uniform(0, 0.02))
            kills.append(acked())
            server.kill()
            time.sleep(rng.uniform(0, 0.3))  # clients hammer a closed port meanwhile
            server.start(ready=True)
        for w in witnesses:
            w.join(max(0.1, start + LOAD_DEADLINE + 5 - time.monotonic()))
        elapsed = time.monotonic() - start
        self.assertFalse(any(w.is_alive() for w in witnesses), "witnesses still running")
        problems = [p for w in witnesses for p in w.problems]
        self.assertEqual(problems, [], "unexpected answers")
        self.assertEqual(len(kills), KILLS)
        self.assertLess(kills[0], total_forms, f"the kills came after the load: {kills}")

        acks = {sid: ack for w in witnesses for sid, ack in w.acks.items()}
        self.assertEqual(set(acks), set(plan.forms), "not every form was acknowledged")
        retried_200 = sum(1 for status, _ in acks.values() if status == 200)
        print(f"\n  {total_forms} forms, kills after {kills} acks, "
              f"{sum(w.retries for w in witnesses)} retries, {retried_200} answered 200 on "
              f"retry, {elapsed:.1f}s", flush=True)

        self.check_database(plan, acks)
        self.check_tallies(server, plan)
        # once more from a cold start: the stored forms rebuild the same tallies
        server.kill()
        server.start(ready=True)
        self.check_tallies(server, plan)

    def check_database(self, plan, acks):
        rows = self.rows("SELECT submission_id, id, revision, outcome, status, tps FROM forms "
                         "WHERE submission_id LIKE 'crash-%'")
        by_sid = {}
        for sid, form_id, revision, outcome, status, tps in rows:
            self.assertNotIn(sid, by_sid, f"{sid} stored twice")
            by_sid[sid] = (int(form_id), int(revision), outcome, status, tps)
        self.assertEqual(len(rows), len(plan.forms), "stored forms != generated forms")
        self.assertEqual(self.rows("SELECT submission_id, count(*) FROM forms "
                                   "GROUP BY submission_id HAVING count(*) > 1"), [])
        self.assertEqual(self.rows(f"SELECT tps FROM forms WHERE contest = '{CONTEST}' AND "
                                   "status = 'counted' GROUP BY tps HAVING count(*) > 1"), [])
        wrong = []
        for sid, (status, body) in acks.items():
            form_id, revision, outcome, db_status, tps = by_sid[sid]
            got = (body["form_id"], body["revision"], body["status"], body["submission_id"],
                   body["tps"])
            stored = (form_id, revision, outcome, sid, tps)
            if got != stored:
                wrong.append(f"{sid}: acknowledged {got}, stored {stored}")
            want = (plan.revision[sid], plan.outcome[sid], plan.final_status[sid])
            if (revision, outcome, db_status) != want:
                wrong.append(f"{sid}: stored revision/outcome/status "
                             f"{(revision, outcome, db_status)}, expected {want}")
        self.assertEqual(wrong, [])

    @staticmethod
    def sql_node(recount, region):
        """A node of harness.sql_recount() in api_node's shape (absent = 0)."""
        r = recount.get(region, {})
        node = {k: r.get(k, 0) for k in ("registered", "voted", "valid", "invalid")}
        node["counted"] = r.get("tps.counted", 0)
        node["held"] = r.get("tps.held", 0)
        node["votes"] = {str(n): r.get(f"votes.{n}", 0) for n in CANDIDATES}
        return node

    @staticmethod
    def api_node(node):
        return {"counted": node["tps"]["counted"], "held": node["tps"]["held"],
                "registered": node["registered"], "voted": node["voted"], "valid": node["valid"],
                "invalid": node["invalid"], "votes": node["votes"]}

    def check_tallies(self, server, plan):
        recount = harness.sql_recount(self.db, CONTEST)
        status, _, province = server.get(f"/api/v1/tally/{CONTEST}/62")
        self.assertEqual(status, 200, province)
        self.assertEqual(self.api_node(province), self.sql_node(recount, "62"),
                         "province: API != SQL")
        self.assertEqual(self.api_node(province), plan.expected_node("62"),
                         "province: API != generator")
        kabupaten = [r[0] for r in self.rows("SELECT code FROM regions WHERE level = 'kabupaten' "
                                             "ORDER BY code")]
        self.assertEqual(sorted(c["region"] for c in province["children"]), kabupaten)
        children = {c["region"]: c for c in province["children"]}
        for kab in kabupaten:
            status, _, node = server.get(f"/api/v1/tally/{CONTEST}/{kab}")
            self.assertEqual(status, 200, node)
            self.assertEqual(self.api_node(node), self.api_node(children[kab]),
                             f"{kab}: its node != the province's child")
            self.assertEqual(self.api_node(node), self.sql_node(recount, kab),
                             f"{kab}: API != SQL")
            self.assertEqual(self.api_node(node), plan.expected_node(kab + "."),
                             f"{kab}: API != generator")
        status, _, ready = server.get("/readyz")
        self.assertEqual(status, 200, ready)
        max_seq = self.value("SELECT greatest((SELECT coalesce(max(seq), 0) FROM forms), "
                             "(SELECT coalesce(max(seq), 0) FROM decisions))")
        self.assertEqual(ready["seq"], int(max_seq), "the server's seq != the stored one")


if __name__ == "__main__":
    harness.main()
