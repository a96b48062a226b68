"""POST /api/v1/forms end to end: every outcome and status code of the
contract, the ledger rules (count, correct, confirm, dispute, hold), review
and decisions, the TPS view, the CSV export and private reads."""

import csv
import io
import json
import re
import socket
import time
from datetime import datetime, timezone

import harness
from harness import build_form, contribution, flat_tally

GUB = "gub-62"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
RECEIPT_KEYS = {"form_id", "submission_id", "tps", "contest", "revision", "status", "checks",
                "seq", "received_at"}
CHECK_CODES = ("valid_sum", "total_sum", "ballot_balance", "turnout_match", "voted_le_registered",
               "dpt_matches_roll", "tps_capacity", "ballot_reserve", "disability_le")
MAX_BODY = 65536


# --- forms -----------------------------------------------------------------

def reserve(dpt):
    return (dpt * 25 + 999) // 1000


def zero_form(sid, tps, dpt, contest=GUB, n_cand=4):
    form = build_form(sid, tps, dpt, contest, n_cand, total=0)
    form["ballots"] = {"received": dpt, "returned": 0, "unused": dpt, "used": 0}
    form["disability"] = {"registered": 3, "voted": 0}
    return form


def break_check(form, code, dpt):
    """The form changed so that it fails exactly the named check."""
    f = json.loads(json.dumps(form))
    if code == "valid_sum":
        f["votes"]["1"] += 1
    elif code == "total_sum":
        f["invalid"] += 1
    elif code == "ballot_balance":
        f["ballots"]["returned"] += 1
    elif code == "turnout_match":
        f["voted"]["dptb"]["m"] += 1
    elif code == "voted_le_registered":
        voters = f["voted"]["dpt"]["m"] + f["voted"]["dpt"]["f"]
        f["voted"]["dpt"]["m"] = f["registered"]["dpt"]["m"] + 1
        f["voted"]["dpt"]["f"] = voters - f["voted"]["dpt"]["m"]
        assert f["voted"]["dpt"]["f"] >= 0
    elif code == "dpt_matches_roll":
        f["registered"]["dpt"]["f"] -= 1
    elif code == "tps_capacity":
        f["registered"]["dpph"]["m"] = 601 - dpt
    elif code == "ballot_reserve":
        extra = reserve(dpt) + 1
        f["ballots"]["received"] += extra
        f["ballots"]["unused"] += extra
    elif code == "disability_le":
        f["disability"]["voted"] = f["disability"]["registered"] + 1
    else:
        raise ValueError(code)
    return f


def diff(after, before):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0)}


def scaled(contrib, sign):
    return {k: sign * v for k, v in contrib.items() if v}


def add(*dicts):
    out = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return {k: v for k, v in out.items() if v}


def path_of(tps, contest=GUB):
    """The TPS and every region above it inside the contest."""
    regions = [tps, tps[:13], tps[:8], tps[:5], tps[:2]]
    return regions if contest == GUB else regions[:4]


# --- base class ------------------------------------------------------------------

class FormCase(harness.SuaraTestCase):
    server = None

    def srv(self):
        return self.server

    def token(self, role, scope, server=None):
        """A new token, once the running server knows it."""
        return self.make_token(role, scope, server=server or self.srv())

    def post(self, form, token, server=None, **kw):
        return (server or self.srv()).post("/api/v1/forms", form, token=token, **kw)

    def submit(self, form, token, status=201, server=None):
        got, headers, body = self.post(form, token, server)
        self.assertEqual(got, status, body)
        return body

    def node(self, region, contest=GUB, server=None):
        status, _, body = (server or self.srv()).get(f"/api/v1/tally/{contest}/{region}")
        self.assertEqual(status, 200, body)
        return body

    def nodes(self, tps, contest=GUB, server=None):
        return {r: flat_tally(self.node(r, contest, server)) for r in path_of(tps, contest)}

    def assert_moved(self, before, after, want):
        """Every node of the path moved by exactly want."""
        for region in before:
            self.assertEqual(diff(after[region], before[region]), want, region)

    def assert_receipt(self, body, form, status, revision=1, checks=()):
        self.assertLessEqual(RECEIPT_KEYS, set(body), body)
        self.assertIsInstance(body["form_id"], int)
        self.assertGreater(body["form_id"], 0)
        self.assertEqual(body["submission_id"], form["submission_id"])
        self.assertEqual(body["tps"], form["tps"])
        self.assertEqual(body["contest"], form["contest"])
        self.assertEqual(body["revision"], revision, body)
        self.assertEqual(body["status"], status, body)
        self.assertEqual(sorted((c["code"], c["severity"]) for c in body["checks"]),
                         sorted(checks), body)
        for c in body["checks"]:
            self.assertEqual(set(c), {"code", "severity"}, body)
        self.assertIsInstance(body["seq"], int)
        self.assertGreater(body["seq"], 0)
        self.assertRegex(body["received_at"], RFC3339_UTC)
        at = datetime.strptime(body["received_at"].split(".")[0].rstrip("Z"),
                               "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        self.assertLess(abs(at.timestamp() - time.time()), 120, body["received_at"])

    def assert_error(self, status, headers, body, want_status, code=None):
        self.assertEqual(status, want_status, body)
        self.assertIn("application/json", headers.get("Content-Type", ""), body)
        self.assertIsInstance(body, dict, body)
        self.assertEqual(set(body), {"error"}, body)
        self.assertEqual(set(body["error"]), {"code", "message", "details"}, body)
        self.assertIsInstance(body["error"]["details"], list)
        self.assertTrue(body["error"]["message"].strip())
        if code:
            self.assertEqual(body["error"]["code"], code, body)
        return body["error"]

    def form_rows(self):
        return int(self.value("SELECT count(*) FROM forms"))


class SharedServer(FormCase):
    """One server for the whole class (tokens are created while it runs)."""

    extra_args = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = harness.Server(cls.db, *cls.extra_args, ready=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        super().tearDownClass()


# --- submitting ------------------------------------------------------------------

class SubmitTest(SharedServer):
    def test_201_counted(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        token = self.token("witness", tps)
        form = build_form("c201-" + tps, tps, dpt)
        before = self.nodes(tps)
        seq_before = self.node("62")["seq"]
        body = self.submit(form, token)
        self.assert_receipt(body, form, "counted")
        self.assertGreater(body["seq"], seq_before)
        self.assertEqual(self.rows(f"SELECT id, status, outcome, tps, contest, seq, revision "
                                   f"FROM forms WHERE submission_id = '{form['submission_id']}'"),
                         [(str(body["form_id"]), "counted", "counted", tps, GUB,
                           str(body["seq"]), "1")])
        after = self.nodes(tps)
        self.assert_moved(before, after, contribution(form))
        for region in after:
            self.assertEqual(self.node(region)["seq"], body["seq"], region)
        self.assertEqual(after[tps]["tps.total"], 1)
        # the form reads back
        status, _, stored = self.srv().get(f"/api/v1/forms/{body['form_id']}")
        self.assertEqual(status, 200, stored)
        for key in ("registered", "voted", "ballots", "disability", "votes", "valid", "invalid",
                    "total"):
            self.assertEqual(stored[key], form[key], key)

    def test_200_same_submission(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        token = self.token("witness", tps)
        form = build_form("same-" + tps, tps, dpt)
        status, _, first = self.post(form, token)
        self.assertEqual(status, 201, first)
        before = self.nodes(tps)
        for _ in range(2):
            status, _, again = self.post(form, token)
            self.assertEqual(status, 200, again)
            self.assertEqual(again, first)
        # the same content, keys reordered, other whitespace, votes in another order
        def reorder(value):
            if isinstance(value, dict):
                return {k: reorder(value[k]) for k in reversed(list(value))}
            return value
        text = json.dumps(reorder(form), indent="\t", separators=(" ,\n", " :  "))
        self.assertNotEqual(text, json.dumps(form))
        status, _, again = self.post("\r\n " + text + " \n", token,
                                     headers={"Content-Type": "application/json"})
        self.assertEqual(status, 200, again)
        self.assertEqual(again, first)
        # numbers written as 309.0 are the same numbers
        status, _, again = self.post(json.dumps(form).replace(
            f'"valid": {form["valid"]}', f'"valid": {form["valid"]}.0'), token)
        self.assertEqual(status, 200, again)
        self.assertEqual(again, first)
        self.assertEqual(self.nodes(tps), before)
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE tps = '{tps}'"), "1")

    def test_photo_hash_is_part_of_the_form(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        token = self.token("witness", tps)
        photo = "AB" * 32
        form = dict(build_form("photo-" + tps, tps, dpt), photo_sha256=photo)
        first = self.submit(form, token)
        self.assertEqual(first["status"], "counted")
        self.assertEqual(
            self.value(f"SELECT array_to_string(photos, ',') FROM forms "
                       f"WHERE id = {first['form_id']}"), photo.lower())
        status, _, again = self.post(dict(form, photo_sha256=photo.lower()), token)
        self.assertEqual(status, 200, again)
        self.assertEqual(again, first)
        for changed in ({k: v for k, v in form.items() if k != "photo_sha256"},
                        dict(form, photo_sha256="cd" * 32)):
            status, headers, reply = self.post(changed, token)
            self.assert_error(status, headers, reply, 409, "submission_id_reused")
        status, headers, reply = self.post(dict(form, submission_id="photo2-" + tps,
                                                photo_sha256="xyz"), token)
        self.assert_error(status, headers, reply, 422, "invalid_form")
        self.assertEqual(reply["error"]["details"], [{"field": "photo_sha256",
                                                      "code": "bad_format"}])

    def test_409_submission_id_reused(self):
        (tps, dpt), (tps2, dpt2) = self.fresh_tps(2, "62.01", same_desa=True)
        token = self.token("witness", tps[:13])
        form = build_form("reuse-" + tps, tps, dpt)
        first = self.submit(form, token)
        before = self.nodes(tps)
        changed = dict(form, invalid=form["invalid"] + 1, total=form["total"] + 1)
        other_tps = build_form(form["submission_id"], tps2, dpt2)
        for body in (changed, other_tps, dict(form, contest="bup-62.01",
                                              votes={"1": form["valid"], "2": 0})):
            status, headers, reply = self.post(body, token)
            self.assert_error(status, headers, reply, 409, "submission_id_reused")
        self.assertEqual(self.nodes(tps), before)
        self.assertEqual(self.rows(f"SELECT id FROM forms WHERE submission_id = "
                                   f"'{form['submission_id']}'"), [(str(first["form_id"]),)])
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE tps = '{tps2}'"), "0")

    def test_400_malformed_json(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        token = self.token("witness", tps)
        rows = self.form_rows()
        good = json.dumps(build_form("malformed-" + tps, tps, dpt))
        for body in ("not json", "[1, 2, 3]", "[" + good + "]", "", "   ", '"text"', "42", "null",
                     good + " x", good[:-1], '{"valid": 0309}'):
            status, headers, reply = self.post(body, token)
            self.assert_error(status, headers, reply, 400, "malformed_json")
        self.assertEqual(self.form_rows(), rows)

    def test_401(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        form = build_form("auth-" + tps, tps, dpt)
        rows = self.form_rows()
        for headers in ({}, {"Authorization": "Bearer sk_" + "A" * 43},
                        {"Authorization": "Basic x"}, {"Authorization": "Bearer "},
                        {"Authorization": "sk_" + "A" * 43}):
            status, rheaders, reply = self.srv().post("/api/v1/forms", form, headers=headers)
            self.assert_error(status, rheaders, reply, 401)
        # a revoked token stops working without a restart
        token = self.token("witness", tps)
        token_id = self.value("SELECT max(id) FROM tokens")
        proc = self.suara("token", "revoke", "--db", self.db.conninfo, token_id)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        harness.wait_until(lambda: self.srv().get("/api/v1/review", token=token)[0] == 401,
                           message="the revoked token to be refused")
        status, rheaders, reply = self.post(form, token)
        self.assert_error(status, rheaders, reply, 401)
        self.assertEqual(self.form_rows(), rows)

    def test_403(self):
        (tps, dpt), (other, _) = self.fresh_tps(2, "62.01", same_desa=True)
        form = build_form("forbidden-" + tps, tps, dpt)
        rows = self.form_rows()
        for role, scope in (("witness", other), ("witness", "62.02"), ("reviewer", "62"),
                            ("monitor", "62"), ("reviewer", tps)):
            status, headers, reply = self.post(form, self.token(role, scope))
            self.assert_error(status, headers, reply, 403)
        self.assertEqual(self.form_rows(), rows)
        # an admin may submit anywhere
        body = self.submit(form, self.token("admin", "62"))
        self.assertEqual(body["status"], "counted")

    def raw_post(self, head_extra, body_iter, timeout=15):
        """POSTs on a raw socket and returns (status, headers dict, body bytes);
        status 0 when no answer came within timeout seconds."""
        conn = socket.create_connection((self.srv().host, self.srv().port), timeout=timeout)
        raw = b""
        try:
            conn.sendall(b"POST /api/v1/forms HTTP/1.1\r\nHost: test\r\n"
                         b"Content-Type: application/json\r\n" + head_extra + b"\r\n")
            try:
                for chunk in body_iter:
                    conn.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may stop reading once it has answered
            while True:
                try:
                    data = conn.recv(65536)
                except (ConnectionResetError, socket.timeout):
                    break
                if not data:
                    break
                raw += data
                head, sep, rest = raw.partition(b"\r\n\r\n")
                match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if sep and match and len(rest) >= int(match.group(1)):
                    break
        finally:
            conn.close()
        if not raw:
            return 0, {}, b""
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in
                   (line.split(":", 1) for line in lines[1:] if ":" in line)}
        if "content-length" in headers:
            rest = rest[:int(headers["content-length"])]
        return status, headers, rest

    @staticmethod
    def chunked(data, size=8192):
        for i in range(0, len(data), size):
            part = data[i:i + size]
            yield f"{len(part):x}\r\n".encode() + part + b"\r\n"
        yield b"0\r\n\r\n"

    def test_chunked_body_is_answered(self):
        """A body sent with Transfer-Encoding: chunked (no Content-Length) gets
        an answer at once: 411 Length Required (lws 4.1 does not decode such
        bodies), with the JSON error body, and nothing stored."""
        (tps, dpt), = self.fresh_tps(1, "62.01")
        token = self.token("witness", tps)
        form = build_form("chunked-" + tps, tps, dpt)
        status, headers, body = self.raw_post(
            f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n".encode(),
            self.chunked(json.dumps(form).encode()), timeout=5)
        self.assertEqual(status, 411, f"no answer within 5 s (status {status}) {body!r}")
        self.assertEqual(json.loads(body)["error"]["code"], "length_required")
        self.assertEqual(self.value(f"SELECT count(*) FROM forms WHERE tps = '{tps}'"), "0")

    def test_413_body_too_large(self):
        (tps, dpt), (tps2, dpt2) = self.fresh_tps(2, "62.01", same_desa=True)
        token = self.token("witness", tps[:13])
        auth = f"Authorization: Bearer {token}\r\n".encode()
        rows = self.form_rows()

        text = json.dumps(build_form("big-" + tps, tps, dpt)).encode()
        over = text + b" " * (MAX_BODY + 1 - len(text))
        self.assertEqual(len(over), MAX_BODY + 1)
        status, headers, body = self.raw_post(
            auth + f"Content-Length: {len(over)}\r\n".encode(), [over])
        self.assertEqual(status, 413, body)
        self.assertIn("application/json", headers.get("content-type", ""))
        self.assertEqual(set(json.loads(body)["error"]), {"code", "message", "details"})

        # chunked, with no Content-Length to judge by: refused before it is read
        status, headers, body = self.raw_post(auth + b"Transfer-Encoding: chunked\r\n",
                                              self.chunked(over))
        self.assertEqual(status, 411, body)
        self.assertIn("error", json.loads(body))
        self.assertEqual(self.form_rows(), rows)

        # exactly 64 KiB is accepted
        text = json.dumps(build_form("big-ok-" + tps2, tps2, dpt2)).encode()
        exact = text + b" " * (MAX_BODY - len(text))
        status, headers, body = self.raw_post(
            auth + f"Content-Length: {len(exact)}\r\n".encode(), [exact])
        self.assertEqual(status, 201, body)
        self.assertEqual(json.loads(body)["status"], "counted")
        self.assertEqual(self.srv().get("/healthz")[0], 200)

    def assert_invalid(self, form, token, want, exact=True):
        status, headers, reply = self.post(form, token)
        err = self.assert_error(status, headers, reply, 422, "invalid_form")
        got = sorted((d["field"], d["code"]) for d in err["details"])
        for d in err["details"]:
            self.assertEqual(set(d), {"field", "code"}, d)
        if exact:
            self.assertEqual(got, sorted(want), reply)
        else:
            for item in want:
                self.assertIn(item, got, reply)

    def test_422_invalid_form(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        (tps2, dpt2), = self.fresh_tps(1, "62.02")
        token = self.token("witness", "62")
        rows = self.form_rows()
        base = build_form("invalid-" + tps, tps, dpt)

        missing = dict(base)
        del missing["total"]
        self.assert_invalid(missing, token, [("total", "missing")])
        nested = json.loads(json.dumps(base))
        del nested["disability"]["voted"]
        self.assert_invalid(nested, token, [("disability.voted", "missing")])
        self.assert_invalid(dict(base, extra=1), token, [("extra", "unknown_field")])
        spoiled = json.loads(json.dumps(base))
        spoiled["ballots"]["spoiled"] = 0
        self.assert_invalid(spoiled, token, [("ballots.spoiled", "unknown_field")])
        self.assert_invalid(dict(base, valid=str(base["valid"])), token,
                            [("valid", "not_integer")])
        self.assert_invalid(dict(base, invalid=-1), token, [("invalid", "out_of_range")])
        self.assert_invalid(dict(base, invalid=10000), token, [("invalid", "out_of_range")])
        wrong = dict(base, votes={"1": 1, "2": 2, "3": 3, "5": base["valid"] - 6})
        self.assert_invalid(wrong, token, [("votes.5", "unknown_candidate"),
                                           ("votes.4", "missing")])
        self.assert_invalid(dict(base, tps="62.01.01.1011.999"), token, [("tps", "unknown_tps")])
        self.assert_invalid(dict(base, contest="gub-63"), token,
                            [("contest", "unknown_contest")])
        self.assert_invalid(dict(base, tps="62.01.01.1011"), token, [("tps", "bad_format")])
        # a Kotawaringin Timur TPS sent for the Kotawaringin Barat regent
        outside = build_form("invalid2-" + tps2, tps2, dpt2, contest="bup-62.01", n_cand=2)
        self.assert_invalid(outside, token, [("tps", "tps_not_in_contest")])
        self.assert_invalid({}, token, [(k, "missing") for k in base])
        several = dict(base, extra=1, total="x")
        del several["valid"]
        self.assert_invalid(several, token, [("extra", "unknown_field"), ("total", "not_integer"),
                                             ("valid", "missing")])
        self.assertEqual(self.form_rows(), rows)
        # the same body, corrected, is accepted under the same submission_id
        self.assertEqual(self.submit(base, token)["status"], "counted")

    def test_held_for_each_check(self):
        picks = self.fresh_tps(len(CHECK_CODES), "62.71", same_desa=True)
        desa = picks[0][0][:13]
        token = self.token("witness", desa)
        above = {r: flat_tally(self.node(r)) for r in path_of(picks[0][0])[2:]}
        for (tps, dpt), code in zip(picks, CHECK_CODES):
            form = break_check(build_form(f"held-{code}-{tps}", tps, dpt), code, dpt)
            body = self.submit(form, token)
            errors = [(c["code"], c["severity"]) for c in body["checks"]
                      if c["severity"] == "error"]
            self.assertEqual(errors, [(code, "error")], (code, body))
            self.assertEqual(body["status"], "held", body)
            self.assertEqual(body["revision"], 1)
            node = flat_tally(self.node(tps))
            self.assertEqual(node["tps.held"], 1, code)
            self.assertEqual({k: v for k, v in node.items() if v and k != "tps.total"},
                             {"tps.held": 1}, code)
            self.assertEqual(self.rows(f"SELECT status, {code!r} = ANY (checks) FROM forms "
                                       f"WHERE id = {body['form_id']}"), [("held", "t")])
            status, _, view = self.srv().get(f"/api/v1/tps/{tps}")
            gub = next(c for c in view["contests"] if c["contest"] == GUB)
            self.assertEqual(gub["status"], "held", view)
            self.assertIsNone(gub["counted"])
        desa_node = flat_tally(self.node(desa))
        self.assertEqual(desa_node["tps.held"], len(CHECK_CODES))
        self.assertEqual(desa_node["tps.counted"], 0)
        self.assertEqual(desa_node["valid"], 0)
        for region, before in above.items():
            self.assertEqual(diff(flat_tally(self.node(region)), before),
                             {"tps.held": len(CHECK_CODES)}, region)

    def test_warnings_are_counted(self):
        (tps, dpt), (tps2, dpt2) = self.fresh_tps(2, "62.01")
        token = self.token("witness", "62.01")
        form = build_form("warn-share-" + tps, tps, dpt)
        t = form["total"]
        form["invalid"] = (3 * t + 99) // 100
        form["valid"] = t - form["invalid"]
        form["votes"] = {"1": form["valid"], "2": 0, "3": 0, "4": 0}
        before = self.nodes(tps)
        body = self.submit(form, token)
        self.assert_receipt(body, form, "counted", checks=[("invalid_share", "warning")])
        self.assert_moved(before, self.nodes(tps), {**contribution(form), "tps.flagged": 1})
        # one invalid vote fewer is below 3 %: no warning
        below = build_form("warn-none-" + tps2, tps2, dpt2)
        t2 = below["total"]
        below["invalid"] = (3 * t2 + 99) // 100 - 1
        below["valid"] = t2 - below["invalid"]
        below["votes"] = {"1": below["valid"], "2": 0, "3": 0, "4": 0}
        body = self.submit(below, token)
        self.assert_receipt(body, below, "counted")

        (tps3, dpt3), = self.fresh_tps(1, "62.01")
        zero = zero_form("warn-zero-" + tps3, tps3, dpt3)
        before = self.nodes(tps3)
        body = self.submit(zero, token)
        self.assert_receipt(body, zero, "counted", checks=[("zero_total", "warning")])
        self.assert_moved(before, self.nodes(tps3),
                          {"tps.counted": 1, "registered": dpt3, "tps.flagged": 1})

    def test_correction_confirmation_dispute(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        w1 = self.token("witness", tps)
        w2 = self.token("witness", tps[:13])
        w3 = self.token("witness", tps[:8])
        a = build_form("corr-a-" + tps, tps, dpt)
        start = self.nodes(tps)
        ra = self.submit(a, w1)
        self.assert_receipt(ra, a, "counted", revision=1)
        self.assert_moved(start, self.nodes(tps), contribution(a))

        # a correction by the same token: numbers move by the difference
        before = self.nodes(tps)
        b = build_form("corr-b-" + tps, tps, dpt, total=a["total"] - 7, shift=1, dptb_reg=2)
        self.assertNotEqual(contribution(a), contribution(b))
        rb = self.submit(b, w1)
        self.assert_receipt(rb, b, "counted", revision=2)
        after = self.nodes(tps)
        self.assert_moved(before, after, add(contribution(b), scaled(contribution(a), -1)))
        for region in path_of(tps):
            self.assertEqual(self.node(region)["seq"], rb["seq"], region)
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {ra['form_id']}"),
                         "superseded")
        status, _, again = self.post(a, w1)  # a retry of the superseded form: its first answer
        self.assertEqual((status, again), (200, ra))

        # a held form from the same witness: the counted form stays counted
        before = after
        h = break_check(build_form("corr-h-" + tps, tps, dpt, total=a["total"] - 1), "valid_sum",
                        dpt)
        rh = self.submit(h, w1)
        self.assert_receipt(rh, h, "held", revision=3, checks=[("valid_sum", "error")])
        after = self.nodes(tps)
        self.assert_moved(before, after, {"tps.held": 1})

        # the same witness corrects again: its held form is superseded as well
        before = after
        c = build_form("corr-c-" + tps, tps, dpt, total=a["total"] - 2, shift=2)
        rc = self.submit(c, w1)
        self.assert_receipt(rc, c, "counted", revision=4)
        after = self.nodes(tps)
        self.assert_moved(before, after,
                          add(contribution(c), scaled(contribution(b), -1), {"tps.held": -1}))
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {rh['form_id']}"),
                         "superseded")

        # another token with the same numbers confirms
        before = after
        conf = dict(c, submission_id="corr-conf-" + tps)
        rconf = self.submit(conf, w2)
        self.assert_receipt(rconf, conf, "counted", revision=5)
        after = self.nodes(tps)
        self.assert_moved(before, after, {"tps.confirmed": 1})
        self.assertEqual(after[tps]["tps.confirmed"], 1)
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {rc['form_id']}"),
                         "counted")

        # a third token with other numbers disputes; the counted form stays
        before = after
        d = build_form("corr-d-" + tps, tps, dpt, total=a["total"] - 4, shift=3)
        rd = self.submit(d, w3)
        self.assert_receipt(rd, d, "disputed", revision=6)
        after = self.nodes(tps)
        self.assert_moved(before, after, {"tps.disputed": 1})
        # seq grows by one for every change (this class's server has no other writer now)
        seqs = [r["seq"] for r in (ra, rb, rh, rc, rconf, rd)]
        self.assertEqual(seqs, list(range(seqs[0], seqs[0] + 6)))
        self.assertEqual(self.node("62")["seq"], rd["seq"])

        # the TPS view: counted form and the full history
        status, _, view = self.srv().get(f"/api/v1/tps/{tps}")
        self.assertEqual(status, 200, view)
        self.assertEqual(view["code"], tps)
        self.assertEqual(view["level"], "tps")
        self.assertEqual(view["dpt"], dpt)
        contests = {c["contest"]: c for c in view["contests"]}
        self.assertEqual(set(contests), {GUB, "bup-62.01"})
        gub = contests[GUB]
        self.assertEqual(gub["counted"]["form_id"], rc["form_id"])
        self.assertEqual(gub["counted"]["votes"], c["votes"])
        self.assertEqual(gub["counted"]["total"], c["total"])
        self.assertEqual(gub["status"], "confirmed", gub)  # counted and confirmed; disputed is its own flag
        self.assertTrue(gub["disputed"], gub)
        history = [(f["form_id"], f["status"]) for f in gub["history"]]
        self.assertEqual(history, [(ra["form_id"], "superseded"), (rb["form_id"], "superseded"),
                                   (rh["form_id"], "superseded"), (rc["form_id"], "counted"),
                                   (rconf["form_id"], "confirmation"),
                                   (rd["form_id"], "disputed")])
        self.assertEqual([f["revision"] for f in gub["history"]], [1, 2, 3, 4, 5, 6])
        self.assertEqual(contests["bup-62.01"]["counted"], None)
        self.assertEqual(contests["bup-62.01"]["history"], [])
        self.assertEqual(self.rows(f"SELECT status, count(*) FROM forms WHERE tps = '{tps}' "
                                   "AND status = 'counted' GROUP BY status"), [("counted", "1")])

    def test_other_contest_is_independent(self):
        (tps, dpt), = self.fresh_tps(1, "62.01")
        token = self.token("witness", tps)
        gub = build_form("indep-g-" + tps, tps, dpt)
        bup = build_form("indep-b-" + tps, tps, dpt, contest="bup-62.01", n_cand=2, shift=1)
        gub_before = self.nodes(tps)
        bup_before = self.nodes(tps, "bup-62.01")
        self.assertEqual(self.submit(gub, token)["status"], "counted")
        rb = self.submit(bup, token)
        self.assert_receipt(rb, bup, "counted", revision=1)
        self.assert_moved(gub_before, self.nodes(tps), contribution(gub))
        self.assert_moved(bup_before, self.nodes(tps, "bup-62.01"), contribution(bup))

    def test_tps_view(self):
        for path in ("/api/v1/tps/62.01.01.1011.999", "/api/v1/tps/62.01.01.1011",
                     "/api/v1/tps/62"):
            status, headers, body = self.srv().get(path)
            self.assert_error(status, headers, body, 404)
        (tps, dpt), = self.fresh_tps(1, "62.71")
        status, _, view = self.srv().get(f"/api/v1/tps/{tps}")
        self.assertEqual(status, 200, view)
        self.assertEqual(view["dpt"], dpt)
        self.assertEqual(view["parent"], tps[:13])
        contests = {c["contest"]: c for c in view["contests"]}
        self.assertEqual(set(contests), {GUB, "wal-62.71"})
        for c in contests.values():
            self.assertIsNone(c["counted"])
            self.assertEqual(c["history"], [])


# --- review ----------------------------------------------------------------------

class ReviewTest(SharedServer):
    def decide(self, form_id, token, decision, reason="checked the C1 photo"):
        return self.srv().post(f"/api/v1/forms/{form_id}/decision",
                               {"decision": decision, "reason": reason}, token=token)

    def test_review_and_decisions(self):
        picks = self.fresh_tps(5, "62.04", same_desa=True)
        (t1, d1), (t2, d2), (t3, d3), (t4, d4), (t5, d5) = picks
        desa = t1[:13]
        kec = t1[:8]
        wa = self.token("witness", desa)
        wb = self.token("witness", desa)
        reviewer = self.token("reviewer", kec)
        outsider = self.token("reviewer", "62.01")

        h1 = break_check(build_form("rev-h1-" + t1, t1, d1), "valid_sum", d1)
        r_h1 = self.submit(h1, wa)
        c2 = build_form("rev-c2-" + t2, t2, d2)
        r_c2 = self.submit(c2, wa)
        d2f = build_form("rev-d2-" + t2, t2, d2, total=c2["total"] - 5, shift=2)
        r_d2 = self.submit(d2f, wb)
        self.assertEqual(r_d2["status"], "disputed")
        h3 = break_check(build_form("rev-h3-" + t3, t3, d3), "ballot_balance", d3)
        r_h3 = self.submit(h3, wa)
        c4 = build_form("rev-c4-" + t4, t4, d4)
        self.assertEqual(self.submit(c4, wa)["status"], "counted")
        # held, then corrected by its own witness: superseded, never reviewed
        h5 = break_check(build_form("rev-h5-" + t5, t5, d5), "total_sum", d5)
        r_h5 = self.submit(h5, wb)
        self.assertEqual(r_h5["status"], "held")
        c5 = build_form("rev-c5-" + t5, t5, d5)
        self.assertEqual(self.submit(c5, wb)["status"], "counted")

        # the review queue: oldest first, checks, the counted form of a dispute
        status, _, queue = self.srv().get(f"/api/v1/review?contest={GUB}&region={kec}",
                                          token=reviewer)
        self.assertEqual(status, 200, queue)
        items = queue["forms"] if isinstance(queue, dict) else queue
        self.assertEqual([f["form_id"] for f in items],
                         [r_h1["form_id"], r_d2["form_id"], r_h3["form_id"]])
        by_id = {f["form_id"]: f for f in items}
        self.assertEqual([c["code"] for c in by_id[r_h1["form_id"]]["checks_failed"]],
                         ["valid_sum"])
        self.assertEqual([c["code"] for c in by_id[r_h3["form_id"]]["checks_failed"]],
                         ["ballot_balance"])
        self.assertEqual(by_id[r_d2["form_id"]]["checks_failed"], [])
        self.assertEqual(by_id[r_d2["form_id"]]["counted_form"]["form_id"], r_c2["form_id"])
        self.assertEqual(by_id[r_d2["form_id"]]["counted_form"]["votes"], c2["votes"])
        self.assertEqual(by_id[r_d2["form_id"]]["votes"], d2f["votes"])
        self.assertFalse(by_id[r_h1["form_id"]].get("counted_form"))
        # the reviewer's own scope is the default region
        status, _, mine = self.srv().get("/api/v1/review", token=reviewer)
        self.assertEqual(status, 200, mine)
        mine = mine["forms"] if isinstance(mine, dict) else mine
        self.assertEqual([f["form_id"] for f in mine],
                         [r_h1["form_id"], r_d2["form_id"], r_h3["form_id"]])
        status, _, other = self.srv().get("/api/v1/review", token=outsider)
        self.assertEqual(status, 200, other)
        other = other["forms"] if isinstance(other, dict) else other
        self.assertFalse({f["form_id"] for f in other} &
                         {r_h1["form_id"], r_d2["form_id"], r_h3["form_id"]})
        # who may not read it
        for token, want in ((None, 401), ("sk_" + "B" * 43, 401), (wa, 403),
                            (self.token("monitor", "62"), 403)):
            status, headers, body = self.srv().get(f"/api/v1/review?region={kec}", token=token)
            self.assert_error(status, headers, body, want)
        status, headers, body = self.srv().get(f"/api/v1/review?region={kec}", token=outsider)
        self.assert_error(status, headers, body, 403)
        status, headers, body = self.srv().get("/api/v1/review?region=62", token=reviewer)
        self.assert_error(status, headers, body, 403)

        # decisions that are refused change nothing
        before1 = self.nodes(t1)
        for body in ({"decision": "maybe", "reason": "x"}, {"decision": "count"},
                     {"decision": "count", "reason": ""},
                     {"decision": "count", "reason": "x", "extra": 1}, {"reason": "x"}):
            status, headers, reply = self.srv().post(f"/api/v1/forms/{r_h1['form_id']}/decision",
                                                     body, token=reviewer)
            self.assert_error(status, headers, reply, 422)
        status, headers, reply = self.srv().post(f"/api/v1/forms/{r_h1['form_id']}/decision",
                                                 "not json", token=reviewer)
        self.assert_error(status, headers, reply, 400)
        for path in ("/api/v1/forms/987654321/decision", "/api/v1/forms/abc/decision"):
            status, headers, reply = self.srv().post(path, {"decision": "count", "reason": "x"},
                                                     token=reviewer)
            self.assert_error(status, headers, reply, 404)
        for token, want in ((None, 401), (wa, 403), (outsider, 403)):
            status, headers, reply = self.decide(r_h1["form_id"], token, "count")
            self.assert_error(status, headers, reply, want)
        self.assertEqual(self.nodes(t1), before1)
        self.assertEqual(self.value("SELECT count(*) FROM decisions WHERE form_id IN "
                                    f"({r_h1['form_id']}, {r_d2['form_id']}, {r_h3['form_id']})"),
                         "0")

        # a form its witness has already corrected is not waiting for review
        status, headers, reply = self.decide(r_h5["form_id"], reviewer, "count")
        self.assert_error(status, headers, reply, 409, "not_pending")

        # count a held form: the tallies take its numbers
        status, _, reply = self.decide(r_h1["form_id"], reviewer, "count")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["form_id"], r_h1["form_id"])
        self.assertEqual(reply["status"], "counted")
        self.assert_moved(before1, self.nodes(t1), add(contribution(h1), {"tps.held": -1}))
        status, headers, reply = self.decide(r_h1["form_id"], reviewer, "count")
        self.assert_error(status, headers, reply, 409, "not_pending")
        status, headers, reply = self.decide(r_h1["form_id"], reviewer, "reject")
        self.assert_error(status, headers, reply, 409, "not_pending")
        # deciding a counted (not pending) form is refused too
        status, headers, reply = self.decide(r_c2["form_id"], reviewer, "reject")
        self.assert_error(status, headers, reply, 409, "not_pending")

        # count a disputed form: it replaces the counted one
        before2 = self.nodes(t2)
        status, _, reply = self.decide(r_d2["form_id"], reviewer, "count")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["status"], "counted")
        self.assert_moved(before2, self.nodes(t2),
                          add(contribution(d2f), scaled(contribution(c2), -1),
                              {"tps.disputed": -1}))
        self.assertEqual(self.value(f"SELECT status FROM forms WHERE id = {r_c2['form_id']}"),
                         "superseded")
        status, _, view = self.srv().get(f"/api/v1/tps/{t2}")
        gub = next(c for c in view["contests"] if c["contest"] == GUB)
        self.assertEqual(gub["counted"]["form_id"], r_d2["form_id"])

        # reject a held form: status rejected, only the held count moves
        before3 = self.nodes(t3)
        status, _, reply = self.decide(r_h3["form_id"], reviewer, "reject", "numbers unreadable")
        self.assertEqual(status, 200, reply)
        self.assertEqual(reply["status"], "rejected")
        self.assert_moved(before3, self.nodes(t3), {"tps.held": -1})
        status, _, view = self.srv().get(f"/api/v1/tps/{t3}")
        gub = next(c for c in view["contests"] if c["contest"] == GUB)
        self.assertEqual([f["status"] for f in gub["history"]], ["rejected"])
        self.assertIsNone(gub["counted"])

        self.assertEqual(sorted(self.rows(
            "SELECT form_id, decision, reason FROM decisions WHERE form_id IN "
            f"({r_h1['form_id']}, {r_d2['form_id']}, {r_h3['form_id']})")),
            sorted([(str(r_h1["form_id"]), "count", "checked the C1 photo"),
                    (str(r_d2["form_id"]), "count", "checked the C1 photo"),
                    (str(r_h3["form_id"]), "reject", "numbers unreadable")]))
        status, _, queue = self.srv().get(f"/api/v1/review?region={kec}", token=reviewer)
        items = queue["forms"] if isinstance(queue, dict) else queue
        self.assertEqual(items, [])


# --- export ----------------------------------------------------------------------

class ExportTest(SharedServer):
    LEVELS = ("kabupaten", "kecamatan", "desa", "tps")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # forms in several kabupaten (bup contest too)
        token = cls.db.make_token("admin", "62")
        harness.wait_until(lambda: cls.server.get("/api/v1/review", token=token)[0] != 401)
        rows = cls.db.rows("SELECT DISTINCT ON (left(code, 5)) code, dpt FROM tps t "
                           "WHERE code LIKE '62.0_.%' AND NOT EXISTS "
                           "(SELECT 1 FROM forms f WHERE f.tps = t.code) "
                           "ORDER BY left(code, 5), code")
        n_cand = {r[0]: int(r[1]) for r in cls.db.rows(
            "SELECT contest, count(*) FROM candidates GROUP BY contest")}
        for i, (tps, dpt) in enumerate(rows):
            status, _, body = cls.server.post(
                "/api/v1/forms", build_form(f"export-{tps}", tps, int(dpt), shift=i), token=token)
            assert status == 201, body
            bup = "bup-" + tps[:5]
            status, _, body = cls.server.post(
                "/api/v1/forms", build_form(f"export-b-{tps}", tps, int(dpt), contest=bup,
                                            n_cand=n_cand[bup], shift=i), token=token)
            assert status == 201, body

    def export(self, contest, level):
        status, headers, body = self.srv().get(f"/api/v1/export/{contest}.csv?level={level}")
        self.assertEqual(status, 200, body)
        self.assertIn("text/csv", headers["Content-Type"])
        mode_line, rest = body.split("\r\n", 1)  # a rehearsal's CSV says so first
        self.assertEqual(mode_line, "# mode: test (SIMULASI: a rehearsal, not the real count)")
        rows = list(csv.reader(io.StringIO(rest, newline="")))
        return rows[0], rows[1:]

    @staticmethod
    def csv_numbers(header, row):
        return {k: int(v) for k, v in zip(header, row) if k not in ("code", "name")}

    @staticmethod
    def node_numbers(node):
        out = {"tps_total": node["tps"]["total"], "tps_counted": node["tps"]["counted"],
               "registered": node["registered"], "voted": node["voted"], "valid": node["valid"],
               "invalid": node["invalid"]}
        for k, v in node["votes"].items():
            out[f"votes_{k}"] = v
        return out

    def check_level(self, contest, level, parents, n_cand):
        header, rows = self.export(contest, level)
        self.assertEqual(header, ["code", "name", "tps_total", "tps_counted", "registered", "voted",
                                  "valid", "invalid"] + [f"votes_{k}" for k in
                                                          range(1, n_cand + 1)])
        region = self.value(f"SELECT region FROM contests WHERE id = '{contest}'")
        if level == "tps":
            codes = [r[0] for r in self.rows(f"SELECT code FROM tps WHERE code LIKE '{region}.%'")]
            names = {}
        else:
            names = dict(self.rows(f"SELECT code, name FROM regions WHERE level = '{level}' "
                                   f"AND (code = '{region}' OR code LIKE '{region}.%')"))
            codes = list(names)
        self.assertEqual(sorted(r[0] for r in rows), sorted(codes), level)
        self.assertEqual(len(rows), len(set(r[0] for r in rows)))
        for r in rows:
            self.assertEqual(len(r), len(header), r)
            if names:
                self.assertEqual(r[1], names[r[0]], r)
        got = {r[0]: self.csv_numbers(header, r) for r in rows}
        want = {}
        for parent in parents:
            for child in self.node(parent, contest)["children"]:
                want[child["region"]] = self.node_numbers(child)
        return got, want

    def test_gub_every_level(self):
        province = self.node_numbers(self.node("62"))
        self.assertGreater(province["tps_counted"], 0)
        kabs = [r[0] for r in self.rows("SELECT code FROM regions WHERE level = 'kabupaten'")]
        kecs = [r[0] for r in self.rows("SELECT code FROM regions WHERE level = 'kecamatan'")]
        for level, parents in (("kabupaten", ["62"]), ("kecamatan", kabs), ("desa", kecs)):
            got, want = self.check_level(GUB, level, parents, 4)
            self.assertEqual(got, want, level)
            sums = {k: sum(row[k] for row in got.values()) for k in province}
            self.assertEqual(sums, province, level)
        got, _ = self.check_level(GUB, "tps", [], 4)
        self.assertEqual(len(got), 4446)
        sums = {k: sum(row[k] for row in got.values()) for k in province}
        self.assertEqual(sums, province)
        counted = [code for code, row in got.items() if row["tps_counted"]]
        self.assertEqual(len(counted), province["tps_counted"])
        for code in counted[:40]:
            self.assertEqual(got[code], self.node_numbers(self.node(code)), code)
        self.assertTrue(all(row["tps_total"] == 1 for row in got.values()))

    def test_bup(self):
        bup = "bup-62.03"
        top = self.node_numbers(self.node("62.03", bup))
        self.assertGreater(top["tps_counted"], 0)
        kecs = [r[0] for r in self.rows("SELECT code FROM regions WHERE parent = '62.03'")]
        got, want = self.check_level(bup, "kecamatan", ["62.03"], 5)
        self.assertEqual(got, want)
        got, want = self.check_level(bup, "desa", kecs, 5)
        self.assertEqual(got, want)
        self.assertEqual({k: sum(r[k] for r in got.values()) for k in top}, top)
        got, _ = self.check_level(bup, "tps", [], 5)
        self.assertEqual({k: sum(r[k] for r in got.values()) for k in top}, top)
        got, want = self.check_level(bup, "kabupaten", [], 5)
        self.assertEqual(got, {"62.03": top})

    def test_bad_requests(self):
        for path in ("/api/v1/export/gub-62.csv?level=province",
                     "/api/v1/export/gub-62.csv?level=nope"):
            status, headers, body = self.srv().get(path)
            self.assertEqual(status, 400, body)
            self.assertIn("error", body)
        status, headers, body = self.srv().get("/api/v1/export/gub-99.csv?level=desa")
        self.assertEqual(status, 404, body)


# --- server options -----------------------------------------------------------

class RateLimitTest(FormCase):
    def test_429(self):
        picks = self.fresh_tps(5, "62.10", same_desa=True)
        desa = picks[0][0][:13]
        w1 = self.make_token("witness", desa)
        w2 = self.make_token("witness", desa)
        server = self.start_server("--rate-per-minute", "3", ready=True)
        self.server = server
        forms = [build_form(f"rate-{tps}", tps, dpt) for tps, dpt in picks]
        first = [self.submit(f, w1, server=server) for f in forms[:3]]
        rows = self.form_rows()
        status, headers, body = self.post(forms[3], w1, server)
        self.assert_error(status, headers, body, 429)
        self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        self.assertEqual(self.form_rows(), rows)
        # a retry of an acknowledged form is still answered
        status, _, body = self.post(forms[0], w1, server)
        self.assertEqual(status, 200, body)
        self.assertEqual(body, first[0])
        # another token has its own budget
        self.assertEqual(self.submit(forms[3], w2, server=server)["status"], "counted")
        status, headers, body = self.post(forms[4], w1, server)
        self.assert_error(status, headers, body, 429)


class PrivateReadsTest(FormCase):
    def test_private_reads(self):
        (tps, dpt), = self.fresh_tps(1, "62.11")
        witness = self.make_token("witness", tps)
        monitor = self.make_token("monitor", "62.11")
        reviewer = self.make_token("reviewer", "62.01")
        server = self.start_server("--private-reads", ready=True)
        self.server = server
        self.assertEqual(self.submit(build_form("priv-" + tps, tps, dpt), witness,
                                     server=server)["status"], "counted")
        paths = ["/api/v1/contests", "/api/v1/regions/62", f"/api/v1/tally/{GUB}/62",
                 f"/api/v1/tally/{GUB}/{tps}", f"/api/v1/tps/{tps}",
                 f"/api/v1/export/{GUB}.csv?level=kabupaten"]
        for path in paths:
            for token in (None, "sk_" + "C" * 43):
                status, headers, body = server.get(path, token=token)
                self.assert_error(status, headers, body, 401)
            for token in (witness, monitor, reviewer):
                status, _, body = server.get(path, token=token)
                self.assertEqual(status, 200, (path, body))
        self.assertEqual(server.get("/healthz")[0], 200)
        self.assertEqual(server.get("/readyz")[0], 200)


class StorageDownTest(FormCase):
    def admin_sql(self, db, sql):
        return harness._psql(f"{db.cluster} dbname=postgres", sql)

    def test_503_and_recovery(self):
        db = harness.Database("forms_down", migrate=True, seed=True)
        (tps1, d1), (tps2, d2) = [(c, int(d)) for c, d in db.rows(
            "SELECT code, dpt FROM tps WHERE code LIKE '62.12.%' ORDER BY code LIMIT 2")]
        token = db.make_token("witness", "62.12")
        server = self.start_server(db=db, ready=True)
        first = build_form("down-1", tps1, d1)
        status, _, r1 = self.post(first, token, server)
        self.assertEqual(status, 201, r1)

        self.addCleanup(self.admin_sql, db, f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS true')
        self.admin_sql(db, f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS false')
        self.admin_sql(db, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           f"WHERE datname = '{db.name}'")
        server.wait_for("/readyz", status=503, timeout=15)

        second = build_form("down-2", tps2, d2)
        for _ in range(2):
            status, headers, body = self.post(second, token, server)
            self.assert_error(status, headers, body, 503)
            self.assertRegex(headers.get("Retry-After", ""), r"^[1-9][0-9]*$")
        # reads keep working from memory
        status, _, node = server.get(f"/api/v1/tally/{GUB}/{tps1}")
        self.assertEqual(status, 200)
        self.assertEqual(node["valid"], first["valid"])
        # a retry of an acknowledged form is still answered
        status, _, again = self.post(first, token, server)
        self.assertEqual(status, 200, again)
        self.assertEqual(again, r1)

        self.admin_sql(db, f'ALTER DATABASE "{db.name}" ALLOW_CONNECTIONS true')
        server.wait_for("/readyz", status=200, timeout=20)
        status, _, r2 = self.post(second, token, server)
        self.assertEqual(status, 201, r2)  # nothing was stored before
        self.assertEqual(r2["status"], "counted")
        self.assertEqual(db.value("SELECT count(*) FROM forms"), "2")
        self.assertEqual(db.value("SELECT count(*) FROM forms WHERE submission_id = 'down-2'"),
                         "1")
        status, _, node = server.get(f"/api/v1/tally/{GUB}/{tps2[:5]}")
        self.assertEqual(node["valid"], first["valid"] * (tps1[:5] == tps2[:5]) + second["valid"])
        server.stop()
        # and the stored forms load again
        server = self.start_server(db=db, ready=True)
        self.assertEqual(server.get(f"/api/v1/tally/{GUB}/62")[2]["tps"]["counted"], 2)


if __name__ == "__main__":
    harness.main()
