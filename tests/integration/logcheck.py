"""An independent verifier of Suara's public log, written from RFC 9162
(rfc9162.py, its section 2.1 transcribed) and docs/api.md alone (hashlib, and
Ed25519 from python3-cryptography): never the server's C code. Used by the log
tests."""

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import rfc9162


def sha256(data):
    return hashlib.sha256(data).digest()


def leaf_hash(receipt_hex):
    """The leaf of an entry: MTH({receipt}), the receipt's 32 bytes (not its hex)."""
    return rfc9162.MTH([bytes.fromhex(receipt_hex)])


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def root(leaves):
    """MTH over a list of leaf hashes (RFC 9162 2.1.1)."""
    n = len(leaves)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return leaves[0]
    k = rfc9162.largest_power_of_two_below(n)
    return node_hash(root(leaves[:k]), root(leaves[k:]))


class Roots:
    """Roots of every prefix of a list of leaf hashes, memoised by range, so
    checking hundreds of tree sizes stays cheap."""

    def __init__(self, leaves):
        self.leaves = leaves
        self.memo = {}

    def range(self, a, b):
        key = (a, b)
        if key not in self.memo:
            n = b - a
            if n == 1:
                self.memo[key] = self.leaves[a]
            else:
                k = rfc9162.largest_power_of_two_below(n)
                self.memo[key] = node_hash(self.range(a, a + k), self.range(a + k, b))
        return self.memo[key]

    def __call__(self, size):
        return sha256(b"") if size == 0 else self.range(0, size)


# RFC 9162 2.1.3.2, transcribed in rfc9162.py.
verify_inclusion = rfc9162.verify_inclusion


def verify_consistency(first, second, first_root, second_root, proof):
    """RFC 9162 2.1.4.2 for 0 < first < second; and the two cases the RFC
    leaves out: equal sizes (equal roots, no proof) and the empty tree, a
    prefix of every tree."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if first > second:
        return False
    return rfc9162.verify_consistency(first, second, first_root, second_root, proof)


def rfc_inclusion(receipts_hex, index, size):
    """What RFC 9162 2.1.3.1 says the audit path is, as the API's hex list."""
    entries = [bytes.fromhex(r) for r in receipts_hex[:size]]
    return [h.hex() for h in rfc9162.PATH(index, entries)]


def rfc_consistency(receipts_hex, first, second):
    """What RFC 9162 2.1.4.1 says the consistency proof is (empty for the cases
    it leaves out), as the API's hex list."""
    if first == 0 or first == second:
        return []
    entries = [bytes.fromhex(r) for r in receipts_hex[:second]]
    return [h.hex() for h in rfc9162.PROOF(first, entries)]


def sth_message(head):
    """The exact bytes a signed tree head's signature covers (docs/api.md)."""
    return (f"suara-sth-v1\n{head['tree_size']}\n{head['root_hash']}\n"
            f"{head['timestamp']}").encode()


def signature_ok(head, public_key_hex):
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    try:
        key.verify(bytes.fromhex(head["signature"]), sth_message(head))
        return True
    except InvalidSignature:
        return False


# --- the receipt chain, recomputed from the stored rows (docs/operations.md) ---

FORM_SQL = (
    "SELECT id, seq, submission_id, tps, contest, revision, outcome, coalesce(confirms, 0), "
    "token_id, round(date_part('epoch', received_at) * 1000)::bigint, "
    "array_to_string(checks, ','), coalesce(array_to_string(photos, ','), photo_sha256, ''), "
    "concat_ws(',', reg_dpt_m, reg_dpt_f, reg_dpph_m, reg_dpph_f, reg_dptb_m, reg_dptb_f, "
    "voted_dpt_m, voted_dpt_f, voted_dpph_m, voted_dpph_f, voted_dptb_m, voted_dptb_f, "
    "ballots_received, ballots_returned, ballots_unused, ballots_used, disability_registered, "
    "disability_voted, valid, invalid, total), array_to_string(votes, ','), receipt_format, "
    "receipt FROM forms")
DECISION_SQL = (
    "SELECT id, seq, form_id, decision, reason, token_id, "
    "round(date_part('epoch', decided_at) * 1000)::bigint, receipt FROM decisions")


def form_text(version, prev, row):
    """The canonical text of a form row; version None: the row's own format."""
    (fid, seq, sid, tps, contest, revision, outcome, confirms, token, received, checks, photos,
     counts, votes, stored_format, _receipt) = row
    version = int(stored_format) if version is None else version
    photo_line = f"photos={photos}" if version >= 2 else f"photo_sha256={photos.split(',')[0]}"
    lines = [f"suara-receipt-v{version}", f"prev={prev}", f"id={fid}", f"submission_id={sid}",
             f"tps={tps}", f"contest={contest}", f"revision={revision}", f"outcome={outcome}",
             f"confirms={confirms}", f"token_id={token}", f"seq={seq}", f"received_ms={received}",
             f"checks={checks}", photo_line, f"counts={counts}", f"votes={votes}"]
    return ("\n".join(lines) + "\n").encode()


def decision_text(prev, row):
    did, seq, form_id, decision, reason, token, decided, _receipt = row
    lines = ["suara-decision-v1", f"prev={prev}", f"id={did}", f"form_id={form_id}",
             f"decision={decision}", f"reason_sha256={hashlib.sha256(reason.encode()).hexdigest()}",
             f"token_id={token}", f"seq={seq}", f"decided_ms={decided}"]
    return ("\n".join(lines) + "\n").encode()


def entries(db):
    """Every stored form and decision as ("form"|"decision", row), in seq order."""
    rows = [("form", r) for r in db.rows(FORM_SQL)] + [("decision", r)
                                                        for r in db.rows(DECISION_SQL)]
    return sorted(rows, key=lambda e: int(e[1][1]))


def recompute_chain(db, version=None):
    """The receipts of every entry recomputed in seq order with form texts of
    `version` (None: each row's own format; decisions have one), next to the
    stored ones: [(kind, id, recomputed, stored)]. The chain starts from the
    election's recorded genesis (64 zeros for the rehearsal; a fresh value
    once `suara election live` ran)."""
    prev, out = db.value("SELECT genesis FROM election"), []
    for kind, row in entries(db):
        if kind == "form":
            mine = hashlib.sha256(form_text(version, prev, row)).hexdigest()
        else:
            if row[-1] is None:  # a decision from before decisions joined the log
                continue
            mine = hashlib.sha256(decision_text(prev, row)).hexdigest()
        out.append((kind, row[0], mine, row[-1]))
        prev = row[-1] if row[-1] else mine
    return out


def status_text(prev, seq, form_id, status):
    """A status change as an entry of the public log (docs/api.md): form_id
    given `status` by the entry of seq `seq`, chained to the leaf before it."""
    return (f"suara-status-v1\nprev={prev}\nseq={seq}\nform_id={form_id}\n"
            f"status={status}\n").encode()


def log_entries(db, changes):
    """The public log's entries in leaf order: every entry of the chain, each
    followed by the status changes `changes` says it made, {(kind, id):
    [(form_id, status), ...]} - the test states them; nothing here knows the
    outcome rules. Returns [(kind, id, receipt hex)]; kind "status" for a
    status change, with the form's id."""
    out = []
    for kind, row in entries(db):
        if row[-1] is None:  # a decision from before decisions joined the log
            continue
        out.append((kind, str(row[0]), row[-1]))
        prev = row[-1]
        for form_id, status in changes.get((kind, str(row[0])), []):
            prev = hashlib.sha256(status_text(prev, row[1], form_id, status)).hexdigest()
            out.append(("status", str(form_id), prev))
    return out
