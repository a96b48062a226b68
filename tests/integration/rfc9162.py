"""RFC 9162 section 2.1, transcribed: the Merkle Tree Hash, inclusion proofs
and consistency proofs, generated and verified, written from the RFC's text
alone (its last draft, draft-ietf-trans-rfc6962-bis-42, has the same section
2.1 word for word) and nothing of Suara's. HASH is SHA-256. Each function
names the paragraph it follows; the recursive ones work on lists exactly as
the RFC writes them (D[k1:k2] is a Python slice), so they are slow and plain
on purpose: they are the reference the server's proofs must equal, hash for
hash, not only verify against."""

import hashlib


def HASH(data=b""):
    return hashlib.sha256(data).digest()


def largest_power_of_two_below(n):
    """k with k < n <= 2k (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


# 2.1.1: MTH({}) = HASH(); MTH({d[0]}) = HASH(0x00 || d[0]);
# MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])).
def MTH(D):
    n = len(D)
    if n == 0:
        return HASH()
    if n == 1:
        return HASH(b"\x00" + D[0])
    k = largest_power_of_two_below(n)
    return HASH(b"\x01" + MTH(D[0:k]) + MTH(D[k:n]))


# 2.1.3.1: PATH(0, {d[0]}) = {};
# PATH(m, D_n) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k;
# PATH(m, D_n) = PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k.
def PATH(m, D):
    n = len(D)
    assert 0 <= m < n
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return PATH(m, D[0:k]) + [MTH(D[k:n])]
    return PATH(m - k, D[k:n]) + [MTH(D[0:k])]


# 2.1.4.1: PROOF(m, D_n) = SUBPROOF(m, D_n, true), 0 < m < n.
def PROOF(m, D):
    assert 0 < m < len(D)
    return SUBPROOF(m, D, True)


# SUBPROOF(m, D_m, true) = {}; SUBPROOF(m, D_m, false) = {MTH(D_m)};
# SUBPROOF(m, D_n, b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) for m <= k;
# SUBPROOF(m, D_n, b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]) for m > k.
def SUBPROOF(m, D, b):
    n = len(D)
    if m == n:
        return [] if b else [MTH(D)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return SUBPROOF(m, D[0:k], b) + [MTH(D[k:n])]
    return SUBPROOF(m - k, D[k:n], False) + [MTH(D[0:k])]


def LSB(x):
    return x & 1


# 2.1.3.2, steps 1 to 5, "hash" being the leaf's hash HASH(0x00 || d[m]).
def verify_inclusion(leaf_hash, leaf_index, tree_size, inclusion_path, root_hash):
    if leaf_index >= tree_size:
        return False
    fn, sn = leaf_index, tree_size - 1
    r = leaf_hash
    for p in inclusion_path:
        if sn == 0:
            return False
        if LSB(fn) or fn == sn:
            r = HASH(b"\x01" + p + r)
            if not LSB(fn):
                while not LSB(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = HASH(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


# 2.1.4.2, steps 1 to 7, for 0 < first < second.
def verify_consistency(first, second, first_hash, second_hash, consistency_path):
    assert 0 < first < second
    if not consistency_path:
        return False
    path = list(consistency_path)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    if LSB(fn):
        while LSB(fn):
            fn >>= 1
            sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if LSB(fn) or fn == sn:
            fr = HASH(b"\x01" + c + fr)
            sr = HASH(b"\x01" + c + sr)
            if not LSB(fn):
                while not LSB(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = HASH(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0
