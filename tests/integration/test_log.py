"""The public log: signed tree heads, inclusion and consistency proofs, the
key commands and `suara log monitor`. Every proof and signature is checked by
the independent verifier in logcheck.py (Python's hashlib and
python3-cryptography), against leaves recomputed from the receipts stored in
PostgreSQL - never by trusting the server's C code."""

import concurrent.futures
import http.client
import json
import os
import stat
import subprocess
import uuid

import harness
import logcheck
import rfc9162

SERVE = ("--rate-per-minute", "0", "--sth-ms", "50")


def post_all(server, token, forms, threads=6):
    """POSTs forms over a few connections at once; returns the 201 bodies in
    the order given."""
    def send(chunk):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        out = []
        for body in chunk:
            conn.request("POST", "/api/v1/forms", body=json.dumps(body),
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"})
            resp = conn.getresponse()
            out.append((resp.status, json.loads(resp.read())))
        conn.close()
        return out
    chunks = [forms[i::threads] for i in range(threads)]
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(send, chunks))
    by_sid = {}
    for chunk_result in results:
        for status, body in chunk_result:
            assert status == 201, body
            by_sid[body["submission_id"]] = body
    return [by_sid[f["submission_id"]] for f in forms]


class LogFixture(harness.SuaraTestCase):
    def setUp(self):
        self.key_path = os.path.join(harness.tmpdir(), f"log-{uuid.uuid4().hex[:6]}.key")
        made = self.suara("log", "keygen", self.key_path)
        self.assertEqual(made.returncode, 0, made.stderr)
        self.public_key = made.stdout.strip()

    def forms(self, n, token_scope="62"):
        token = self.make_token("witness", token_scope)
        return token, [harness.build_form(str(uuid.uuid4()), tps, dpt)
                       for tps, dpt in self.fresh_tps(n)]

    def stored_leaves(self):
        return [logcheck.leaf_hash(r) for (r,) in
                self.rows("SELECT receipt FROM forms ORDER BY id")]

    def head_of(self, server, size):
        """Waits for the signed head to reach `size` leaves and returns it."""
        def grown():
            status, _, head = server.get("/api/v1/log/sth")
            return head if status == 200 and head["tree_size"] == size else None
        return harness.wait_until(grown, timeout=30, message=f"a head of {size} leaves")

class LogTest(LogFixture):
    def test_keygen_makes_a_private_file_and_never_overwrites(self):
        mode = stat.S_IMODE(os.stat(self.key_path).st_mode)
        self.assertEqual(mode, 0o600)
        self.assertRegex(self.public_key, r"^[0-9a-f]{64}$")
        with open(self.key_path, "rb") as f:
            before = f.read()
        again = self.suara("log", "keygen", self.key_path)
        self.assertEqual(again.returncode, 1)
        self.assertIn("File exists", again.stderr)
        with open(self.key_path, "rb") as f:
            self.assertEqual(f.read(), before)
        shown = self.suara("log", "key", "--key", self.key_path)
        self.assertEqual((shown.returncode, shown.stdout), (0, self.public_key + "\n"))

    def test_a_few_thousand_forms(self):
        server = self.start_server("--log-key", self.key_path, *SERVE, ready=True)
        token, forms = self.forms(3000)
        receipts = post_all(server, token, forms, threads=8)
        leaves = self.stored_leaves()
        stored = [r for (r,) in self.rows("SELECT receipt FROM forms ORDER BY id")]
        head = self.head_of(server, len(leaves))
        self.assertTrue(logcheck.signature_ok(head, self.public_key))
        roots = logcheck.Roots(leaves)
        self.assertEqual(head["root_hash"], roots(len(leaves)).hex())
        # Each witness's own receipt, from its 201, in the signed tree.
        for r in receipts[::97] + receipts[-1:]:
            status, _, proof = server.get(f"/api/v1/log/proof/inclusion?form_id={r['form_id']}"
                                          f"&tree_size={head['tree_size']}")
            self.assertEqual(status, 200, proof)
            self.assertEqual(proof["audit_path"], logcheck.rfc_inclusion(
                stored, proof["leaf_index"], head["tree_size"]))
            self.assertTrue(logcheck.verify_inclusion(
                logcheck.leaf_hash(r["receipt"]), proof["leaf_index"], head["tree_size"],
                [bytes.fromhex(h) for h in proof["audit_path"]], bytes.fromhex(head["root_hash"])))
        for first in (1, 2, 1000, 1024, 2047, len(leaves) - 1):
            status, _, body = server.get(
                f"/api/v1/log/proof/consistency?first={first}&second={len(leaves)}")
            self.assertEqual(status, 200, body)
            self.assertEqual(body["proof"], logcheck.rfc_consistency(stored, first, len(leaves)))
            self.assertTrue(logcheck.verify_consistency(
                first, len(leaves), roots(first), roots(len(leaves)),
                [bytes.fromhex(h) for h in body["proof"]]))

    def test_errors(self):
        server = self.start_server("--log-key", self.key_path, *SERVE, ready=True)
        token, forms = self.forms(2)
        first, second = post_all(server, token, forms, threads=1)
        size = self.head_of(server, second["form_id"])["tree_size"]

        def error(path):
            status, _, body = server.get(path)
            return status, body["error"]["code"], body["error"]["details"]

        base = "/api/v1/log/proof/"
        self.assertEqual(error(base + "inclusion"),
                         (400, "bad_parameter", [{"field": "form_id", "code": "missing"}]))
        self.assertEqual(error(base + "inclusion?form_id=x1&tree_size=-3"),
                         (400, "bad_parameter", [{"field": "form_id", "code": "not_integer"},
                                                 {"field": "tree_size", "code": "not_integer"}]))
        self.assertEqual(error(base + f"inclusion?form_id=1&tree_size={size + 1}")[:2],
                         (400, "bad_tree_size"))
        self.assertEqual(error(base + f"inclusion?form_id={second['form_id'] + 50}")[:2],
                         (404, "unknown_form"))
        self.assertEqual(
            error(base + f"inclusion?form_id={second['form_id']}&tree_size={size - 1}")[:2],
            (404, "not_in_tree"))
        self.assertEqual(error(base + f"inclusion?form_id=1&decision_id=1"),
                         (400, "bad_parameter", [{"field": "decision_id",
                                                  "code": "not_with_form_id"}]))
        self.assertEqual(error(base + "inclusion?decision_id=x"),
                         (400, "bad_parameter", [{"field": "decision_id", "code": "not_integer"}]))
        self.assertEqual(error(base + "inclusion?decision_id=999999")[:2],
                         (404, "unknown_decision"))
        self.assertEqual(error(base + "consistency?second=2"),
                         (400, "bad_parameter", [{"field": "first", "code": "missing"}]))
        self.assertEqual(error(base + "consistency?first=3&second=2")[:2],
                         (400, "bad_tree_size"))
        self.assertEqual(error(base + f"consistency?first=1&second={size + 1}")[:2],
                         (400, "bad_tree_size"))
        self.assertEqual(error("/api/v1/log/nothing")[:2], (404, "not_found"))
        status, headers, _ = server.post("/api/v1/log/sth", {})
        self.assertEqual((status, headers["Allow"]), (405, "GET"))
        # Without tree_size, a proof is for the latest signed head.
        status, _, proof = server.get(base + f"inclusion?form_id={first['form_id']}")
        self.assertEqual((status, proof["tree_size"]), (200, size))

    def test_unsigned_without_a_key_and_a_bad_key_file(self):
        server = self.start_server(*SERVE, ready=True)
        status, _, head = server.get("/api/v1/log/sth")
        self.assertEqual(status, 200)
        self.assertEqual((head["signature"], head["public_key"]), (None, None))
        self.assertEqual(head["root_hash"], logcheck.Roots(self.stored_leaves())(
            head["tree_size"]).hex())
        server.stop()
        junk = os.path.join(harness.tmpdir(), "junk.key")
        with open(junk, "w") as f:
            f.write("not a key\n")
        os.chmod(junk, 0o600)
        bad = harness.Server(self.db, "--log-key", junk, start=False)
        proc = subprocess.run(bad.command(), capture_output=True, text=True, timeout=30)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("not a PEM private key", proc.stdout + proc.stderr)


class LogModeTest(LogFixture):
    """Every answer of /api/v1/log/* says whether it is the rehearsal or the
    real count (../shared/api-contract.md, "mode"): "mode" in each JSON body
    and the Suara-Mode header on every answer, errors included; and after
    `suara election live`, "live". Its own database, since it goes live."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = harness.Database("log_mode", migrate=True, seed=True)

    def dispute_decided(self, server):
        """A counted form, a second witness's dispute counted by a reviewer:
        returns (a form id, the decision's id)."""
        (tps, dpt), = self.fresh_tps(1)
        a, b = (self.make_token("witness", "62", server=server) for _ in range(2))
        reviewer = self.make_token("reviewer", "62", server=server)
        status, _, first = server.post(
            "/api/v1/forms", harness.build_form(str(uuid.uuid4()), tps, dpt), token=a)
        self.assertEqual(status, 201, first)
        status, _, other = server.post(
            "/api/v1/forms", harness.build_form(str(uuid.uuid4()), tps, dpt, shift=1), token=b)
        self.assertEqual((status, other["status"]), (201, "disputed"), other)
        status, _, decided = server.post(f"/api/v1/forms/{other['form_id']}/decision",
                                         {"decision": "count", "reason": "sesuai plano"},
                                         token=reviewer)
        self.assertEqual(status, 200, decided)
        status, _, form = server.get(f"/api/v1/forms/{other['form_id']}")
        return first["form_id"], form["decision"]["id"]

    def assert_every_log_answer_says(self, server, mode, form_id, decision_id):
        # A head that has the decision (made within --sth-ms of its commit).
        harness.wait_until(lambda: server.get(
            f"/api/v1/log/proof/inclusion?decision_id={decision_id}")[0] == 200,
            timeout=30, message="a head with the decision")
        size = server.get("/api/v1/log/sth")[2]["tree_size"]
        reads = ["/api/v1/log/head", "/api/v1/log/sth",
                 f"/api/v1/log/proof/inclusion?form_id={form_id}",
                 f"/api/v1/log/proof/inclusion?decision_id={decision_id}&tree_size={size}",
                 f"/api/v1/log/proof/consistency?first=1&second={size}",
                 f"/api/v1/log/proof/consistency?first={size}"]
        for path in reads:
            status, headers, body = server.get(path)
            self.assertEqual(status, 200, (path, body))
            self.assertEqual((body["mode"], headers["Suara-Mode"]), (mode, mode), path)
        errors = ["/api/v1/log/proof/inclusion", "/api/v1/log/proof/inclusion?form_id=999999",
                  f"/api/v1/log/proof/consistency?first=1&second={size + 1}", "/api/v1/log/x"]
        for path in errors:
            status, headers, body = server.get(path)
            self.assertIn(status, (400, 404), (path, body))
            self.assertEqual(headers["Suara-Mode"], mode, path)

    @staticmethod
    def status_mode(server):
        """The mode /api/v1/status says, or None while the server starts again
        on the live state (it stops listening for a moment)."""
        try:
            status, _, body = server.get("/api/v1/status", timeout=5)
        except OSError:
            return None
        return body.get("mode") if status == 200 else None

    def test_every_log_answer_carries_the_mode(self):
        server = self.start_server("--log-key", self.key_path, *SERVE, ready=True)
        form_id, decision_id = self.dispute_decided(server)
        self.assert_every_log_answer_says(server, "test", form_id, decision_id)

        live = self.suara("election", "live", "--db", self.db.conninfo, "--confirm")
        self.assertEqual(live.returncode, 0, live.stderr)
        harness.wait_until(lambda: self.status_mode(server) == "live", timeout=60,
                           message="the server to serve live mode")
        server.wait_for("/readyz")
        form_id, decision_id = self.dispute_decided(server)
        self.assert_every_log_answer_says(server, "live", form_id, decision_id)


class SmallTreeTest(LogFixture):
    """Its own database, so its tree starts empty: sizes 1..200 exactly."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db = harness.Database("log_small", migrate=True, seed=True)

    def test_heads_and_proofs_of_every_size_up_to_200(self):
        server = self.start_server("--log-key", self.key_path, *SERVE, ready=True)
        self.assertEqual(self.stored_leaves(), [])
        base = 0
        token, forms = self.forms(200)
        heads = {}
        # Grow the log in steps, keeping a signed head of each step.
        for lo, hi in ((0, 1), (1, 2), (2, 7), (7, 64), (64, 65), (65, 200)):
            post_all(server, token, forms[lo:hi])
            head = self.head_of(server, base + hi)
            self.assertTrue(logcheck.signature_ok(head, self.public_key), head)
            self.assertEqual(head["public_key"], self.public_key)
            heads[head["tree_size"]] = head
        leaves = self.stored_leaves()
        roots = logcheck.Roots(leaves)
        for size, head in heads.items():
            self.assertEqual(head["root_hash"], roots(size).hex(), size)
            self.assertEqual(head["root_hash"], rfc9162.MTH(
                [bytes.fromhex(r) for (r,) in self.rows(
                    f"SELECT receipt FROM forms ORDER BY id LIMIT {size}")]).hex(), size)

        # Inclusion: in every tree size up to the whole log, several leaves
        # (the first, the last, and a few between), each against the root
        # recomputed here from the stored receipts.
        form_ids = [int(i) for (i,) in self.rows("SELECT id FROM forms ORDER BY id")]
        receipts = [r for (r,) in self.rows("SELECT receipt FROM forms ORDER BY id")]
        total = len(leaves)
        for size in range(1, total + 1):
            for index in sorted({0, size - 1, size // 2, (size * 7) // 9, (size * 3) // 11}):
                status, _, proof = server.get(
                    f"/api/v1/log/proof/inclusion?form_id={form_ids[index]}&tree_size={size}")
                self.assertEqual(status, 200, proof)
                self.assertEqual((proof["leaf_index"], proof["tree_size"]), (index, size))
                # Exactly the RFC's PATH(m, D_n), hash for hash, and it verifies.
                self.assertEqual(proof["audit_path"], logcheck.rfc_inclusion(receipts, index, size),
                                 (index, size))
                path = [bytes.fromhex(h) for h in proof["audit_path"]]
                self.assertTrue(logcheck.verify_inclusion(leaves[index], index, size, path,
                                                          roots(size)), (index, size))
                if index + 1 < size:
                    self.assertFalse(logcheck.verify_inclusion(leaves[index + 1], index, size,
                                                               path, roots(size)))

        # Consistency across growth: from every head kept to every later one,
        # and from many sizes to the whole log.
        sizes = sorted(heads)
        pairs = [(a, b) for a in sizes for b in sizes if a <= b]
        pairs += [(m, total) for m in range(0, total + 1, 3)]
        for first, second in pairs:
            status, _, body = server.get(
                f"/api/v1/log/proof/consistency?first={first}&second={second}")
            self.assertEqual(status, 200, body)
            self.assertEqual(body["proof"], logcheck.rfc_consistency(receipts, first, second),
                             (first, second))
            proof = [bytes.fromhex(h) for h in body["proof"]]
            self.assertTrue(logcheck.verify_consistency(first, second, roots(first),
                                                        roots(second), proof), (first, second))
            if 0 < first < second:
                self.assertFalse(logcheck.verify_consistency(
                    first, second, roots(first - 1) if first > 1 else b"\0" * 32,
                    roots(second), proof))

        # The tree rebuilt at start-up from the stored receipts is the same tree.
        server.stop()
        server = self.start_server("--log-key", self.key_path, *SERVE, ready=True)
        again = self.head_of(server, total)
        self.assertEqual(again["root_hash"], heads[total]["root_hash"])
        self.assertTrue(logcheck.signature_ok(again, self.public_key))
        listed = self.suara("log", "key", "--db", self.db.conninfo)
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertIn(self.public_key + " first_used=", listed.stdout)


if __name__ == "__main__":
    harness.main()
