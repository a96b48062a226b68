"""The reference of the log tests (rfc9162.py) against RFC 9162's own example,
section 2.1.5: the tree of seven leaves d0..d6 whose nodes the RFC names a..l,
and the inclusion and consistency proofs it lists for it. If the transcription
were wrong, these are the answers it would get wrong; the log tests then hold
the server's proofs to the transcription, hash for hash. No server here."""

import unittest

import rfc9162 as rfc

D = [f"d{i}".encode() for i in range(7)]


def leaf(i):
    return rfc.MTH(D[i:i + 1])


# The RFC's figure: a..f and d6 leaves, g h i j k l inner nodes.
a, b, c, d, e, f = (leaf(i) for i in range(6))
g, h, i = rfc.MTH(D[0:2]), rfc.MTH(D[2:4]), rfc.MTH(D[4:6])
j = leaf(6)
k, l = rfc.MTH(D[0:4]), rfc.MTH(D[4:7])
ROOT = rfc.MTH(D)


class Rfc9162ExampleTest(unittest.TestCase):
    def test_the_figure(self):
        node = lambda x, y: rfc.HASH(b"\x01" + x + y)
        self.assertEqual((g, h, i, k, l), (node(a, b), node(c, d), node(e, f), node(g, h),
                                           node(i, j)))
        self.assertEqual(ROOT, node(k, l))
        self.assertEqual(rfc.MTH([]).hex(),
                         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    def test_inclusion_proofs_listed_in_2_1_5(self):
        listed = {0: [b, h, l], 3: [c, g, l], 4: [f, j, k], 6: [i, k]}
        for m, path in listed.items():
            self.assertEqual(rfc.PATH(m, D), path, m)
            self.assertTrue(rfc.verify_inclusion(leaf(m), m, 7, path, ROOT), m)
        self.assertEqual(rfc.PATH(0, D[0:1]), [])

    def test_consistency_proofs_listed_in_2_1_5(self):
        hash0, hash1, hash2 = rfc.MTH(D[0:3]), rfc.MTH(D[0:4]), rfc.MTH(D[0:6])
        self.assertEqual(hash1, k)
        listed = {3: ([c, d, g, l], hash0), 4: ([l], hash1), 6: ([i, j, k], hash2)}
        for m, (proof, old) in listed.items():
            self.assertEqual(rfc.PROOF(m, D), proof, m)
            self.assertTrue(rfc.verify_consistency(m, 7, old, ROOT, proof), m)

    def test_verifiers_refuse_what_is_not_a_proof(self):
        self.assertFalse(rfc.verify_inclusion(leaf(1), 0, 7, [b, h, l], ROOT))
        self.assertFalse(rfc.verify_inclusion(leaf(0), 0, 7, [b, h], ROOT))
        self.assertFalse(rfc.verify_inclusion(leaf(0), 0, 7, [b, h, l, l], ROOT))
        self.assertFalse(rfc.verify_inclusion(leaf(0), 7, 7, [b, h, l], ROOT))
        self.assertFalse(rfc.verify_consistency(3, 7, rfc.MTH(D[0:3]), ROOT, [c, d, g]))
        self.assertFalse(rfc.verify_consistency(3, 7, rfc.MTH(D[0:2]), ROOT, [c, d, g, l]))
        self.assertFalse(rfc.verify_consistency(4, 7, k, ROOT, []))

    def test_every_proof_of_every_tree_up_to_64_verifies(self):
        entries = [bytes([n]) * 32 for n in range(64)]
        for n in range(1, 65):
            tree = entries[:n]
            root = rfc.MTH(tree)
            for m in range(n):
                self.assertTrue(rfc.verify_inclusion(rfc.MTH(tree[m:m + 1]), m, n,
                                                     rfc.PATH(m, tree), root), (m, n))
            for m in range(1, n):
                self.assertTrue(rfc.verify_consistency(m, n, rfc.MTH(tree[:m]), root,
                                                       rfc.PROOF(m, tree)), (m, n))


if __name__ == "__main__":
    unittest.main()
