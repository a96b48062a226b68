"""The tamper-evident log: every 201 carries a receipt chained to the previous
form's, GET /api/v1/log/head publishes the newest link, and `suara verify-log`
recomputes the chain from the database and names the first altered row.
The chain is recomputed here in Python too, from the documented canonical
text, so the format in docs/operations.md is checked independently of the C code."""

import copy
import hashlib
import uuid

import harness

TPS = ["62.01.01.1011.001", "62.01.01.1011.002", "62.01.01.1011.003"]
CHECK_ORDER = ["valid_sum", "total_sum", "ballot_balance", "turnout_match", "voted_le_registered",
               "dpt_matches_roll", "tps_capacity", "ballot_reserve", "disability_le",
               "invalid_share", "zero_total", "cross_contest_voters"]


def form(tps, votes=(60, 101, 130, 18)):
    return {
        "submission_id": str(uuid.uuid4()), "tps": tps, "contest": "gub-62",
        "registered": {"dpt": {"m": 250, "f": 251}, "dpph": {"m": 0, "f": 1},
                       "dptb": {"m": 0, "f": 0}},
        "voted": {"dpt": {"m": 150, "f": 160}, "dpph": {"m": 0, "f": 1}, "dptb": {"m": 2, "f": 1}},
        "ballots": {"received": 420, "returned": 2, "unused": 104, "used": 314},
        "disability": {"registered": 3, "voted": 2},
        "votes": {str(i + 1): v for i, v in enumerate(votes)},
        "valid": sum(votes), "invalid": 314 - sum(votes), "total": 314,
    }


def pages(body):
    """The form's photo hashes in page order, whichever field carried them."""
    if "photos" in body:
        return body["photos"]
    return [body["photo_sha256"].lower()] if "photo_sha256" in body else []


def canonical(prev, receipt, body, token_id, received_ms, version=2):
    rows = ("dpt", "dpph", "dptb")
    counts = [body["registered"][r][s] for r in rows for s in "mf"]
    counts += [body["voted"][r][s] for r in rows for s in "mf"]
    counts += [body["ballots"][k] for k in ("received", "returned", "unused", "used")]
    counts += [body["disability"]["registered"], body["disability"]["voted"]]
    counts += [body["valid"], body["invalid"], body["total"]]
    codes = [c["code"] for c in receipt["checks"]]
    outcome = "confirmation" if "confirms" in receipt else receipt["status"]
    lines = [
        f"suara-receipt-v{version}", f"prev={prev}", f"id={receipt['form_id']}",
        f"submission_id={receipt['submission_id']}", f"tps={receipt['tps']}",
        f"contest={receipt['contest']}", f"revision={receipt['revision']}", f"outcome={outcome}",
        f"confirms={receipt.get('confirms', 0)}", f"token_id={token_id}", f"seq={receipt['seq']}",
        f"received_ms={received_ms}",
        "checks=" + ",".join(c for c in CHECK_ORDER if c in codes),
        (f"photos={','.join(pages(body))}" if version >= 2
         else f"photo_sha256={(pages(body) or [''])[0]}"),
        "counts=" + ",".join(map(str, counts)),
        "votes=" + ",".join(str(body["votes"][k]) for k in sorted(body["votes"], key=int)),
    ]
    return hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()


class ReceiptChainTest(harness.SuaraTestCase):
    def test_chain_head_verify_and_tamper(self):
        server = self.start_server(ready=True)
        token = self.make_token("witness", "62.01.01.1011")
        token_id = self.value("SELECT max(id) FROM tokens")
        bodies, receipts = [], []
        for i, tps in enumerate(TPS * 2):  # the second round corrects the first
            body = form(tps, votes=(60 + i, 101, 130, 18 - i))
            if i == 1:
                body["photos"] = ["ab" * 32, "cd" * 32]
            elif i == 2:
                body["photo_sha256"] = "EF" * 32
            status, _, receipt = server.post("/api/v1/forms", body, token=token)
            self.assertIn(status, (201,), receipt)
            bodies.append(body)
            receipts.append(receipt)

        # Each receipt is the SHA-256 of the canonical text chained to the previous one.
        prev = "0" * 64
        for body, receipt in zip(bodies, receipts):
            received_ms = int(self.value(
                "SELECT round(extract(epoch FROM received_at) * 1000)::bigint FROM forms "
                f"WHERE id = {receipt['form_id']}"))
            self.assertEqual(receipt["receipt"], canonical(prev, receipt, body, token_id,
                                                           received_ms))
            prev = receipt["receipt"]

        status, _, head = server.get("/api/v1/log/head")
        self.assertEqual(status, 200)
        self.assertEqual(head, {"mode": "test", "form_id": receipts[-1]["form_id"],
                                "forms": len(receipts),
                                "receipt": receipts[-1]["receipt"]})

        # A retry returns the same receipt; the chain does not move.
        status, _, again = server.post("/api/v1/forms", bodies[0], token=token)
        self.assertEqual((status, again), (200, receipts[0]))

        ok = self.suara("verify-log", "--db", self.db.conninfo)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn(f"intact: {len(receipts)} forms; head receipt {prev}", ok.stdout)

        # Restart: the chain continues from the stored head.
        server.stop()
        server = self.start_server(ready=True)
        status, _, receipt = server.post("/api/v1/forms", form(TPS[0], (1, 2, 3, 300)),
                                         token=token)
        self.assertEqual(status, 201, receipt)
        self.assertEqual(self.suara("verify-log", "--db", self.db.conninfo).returncode, 0)

        # Alter one stored number behind the server's back: caught at that row.
        victim = receipts[2]["form_id"]
        self.psql(f"UPDATE forms SET valid = valid + 1 WHERE id = {victim}")
        broken = self.suara("verify-log", "--db", self.db.conninfo)
        self.assertEqual(broken.returncode, 1)
        self.assertIn(f"BROKEN at form {victim} ", broken.stdout)
        self.psql(f"UPDATE forms SET valid = valid - 1 WHERE id = {victim}")
        self.assertEqual(self.suara("verify-log", "--db", self.db.conninfo).returncode, 0)

        # Delete a row (with its dependants out of the way): caught as a gap.
        last = receipt["form_id"]
        self.psql(f"DELETE FROM forms WHERE id = {last - 1} AND NOT EXISTS "
                  f"(SELECT 1 FROM forms g WHERE g.confirms = {last - 1})")
        gap = self.suara("verify-log", "--db", self.db.conninfo)
        self.assertEqual(gap.returncode, 1)
        self.assertIn(f"BROKEN at form {last}:", gap.stdout)

    def test_rows_of_the_first_receipt_format_still_verify(self):
        """A form stored before receipts listed photo pages (receipt format 1,
        one photo_sha256) is recomputed with the text it was chained with."""
        db = harness.Database("receipts_v1", migrate=True, seed=True)
        self.addCleanup(db.drop)
        server = self.start_server(db=db, ready=True)
        token = db.make_token("witness", "62.01.01.1011")
        server.wait_for_token(token)
        token_id = db.value("SELECT max(id) FROM tokens")
        body = dict(form(TPS[0]), photo_sha256="12" * 32)
        status, _, receipt = server.post("/api/v1/forms", body, token=token)
        self.assertEqual(status, 201, receipt)
        server.stop()
        # Make the row what the previous format stored: the photo in its own
        # column, format 1, and the receipt of the format-1 text.
        received_ms = int(db.value("SELECT round(extract(epoch FROM received_at) * 1000)::bigint "
                                   f"FROM forms WHERE id = {receipt['form_id']}"))
        v1 = canonical("0" * 64, receipt, body, token_id, received_ms, version=1)
        self.assertNotEqual(v1, receipt["receipt"])
        db.psql(f"UPDATE forms SET receipt_format = 1, photos = NULL, photo_sha256 = '{'12' * 32}', "
                f"receipt = '{v1}' WHERE id = {receipt['form_id']}")
        ok = self.suara("verify-log", "--db", db.conninfo)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn(f"intact: 1 forms; head receipt {v1}", ok.stdout)
        # The server reads the old row, shows its photo, and chains on from it.
        server.start(ready=True)
        status, _, shown = server.get(f"/api/v1/forms/{receipt['form_id']}")
        self.assertEqual(shown["photos"], [{"sha256": "12" * 32, "stored": False}])
        second = dict(form(TPS[1]), photos=["34" * 32])
        status, _, receipt2 = server.post("/api/v1/forms", second, token=token)
        self.assertEqual(status, 201, receipt2)
        received_ms = int(db.value("SELECT round(extract(epoch FROM received_at) * 1000)::bigint "
                                   f"FROM forms WHERE id = {receipt2['form_id']}"))
        self.assertEqual(receipt2["receipt"], canonical(v1, receipt2, second, token_id,
                                                        received_ms))
        self.assertEqual(self.suara("verify-log", "--db", db.conninfo).returncode, 0)
        # The old row's photo is part of its receipt.
        db.psql(f"UPDATE forms SET photo_sha256 = '{'13' * 32}' WHERE id = {receipt['form_id']}")
        broken = self.suara("verify-log", "--db", db.conninfo)
        self.assertEqual(broken.returncode, 1)
        self.assertIn(f"BROKEN at form {receipt['form_id']} ", broken.stdout)


if __name__ == "__main__":
    harness.main()
