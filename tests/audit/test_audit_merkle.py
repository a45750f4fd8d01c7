"""RFC 9162 hashing and proofs, checked against proofs this code did not make: the
Certificate Transparency test vectors (8 leaves, their roots, inclusion and consistency
proofs), as published with github.com/transparency-dev/merkle (proof/verify_test.go,
Apache-2.0, from the original CT C++ tests), and against a tree built independently below
straight from RFC 9162 §2.1.1's recursive definition."""

import hashlib

import pytest

from ketacare.audit import merkle

LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
ROOTS = [bytes.fromhex(h) for h in [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]]  # fmt: skip
# (leaf number, counted from 1 as in the vectors; tree size; audit path)
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
HASHES = [merkle.leaf_hash(leaf) for leaf in LEAVES]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _path(hexes):
    return [bytes.fromhex(h) for h in hexes]


def _flip(path, i, bit):
    flipped = list(path)
    flipped[i] = bytes([flipped[i][0] ^ bit]) + flipped[i][1:]
    return flipped


def _mth(data: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 written out as its recursion, independently of merkle.py's frontier."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < len(data):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(data[:k]) + _mth(data[k:])).digest()


def test_roots_of_the_ct_vectors_match_for_every_size():
    for size in range(1, 9):
        assert merkle.root_of(HASHES[:size]) == ROOTS[size - 1]


def test_the_empty_tree_hashes_to_sha256_of_nothing():
    assert merkle.root_of([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_published_inclusion_proofs_verify_and_are_the_ones_we_generate(leaf, size, path):
    merkle.verify_inclusion(leaf - 1, size, HASHES[leaf - 1], _path(path), ROOTS[size - 1])
    assert merkle.inclusion_proof(leaf - 1, HASHES[:size]) == _path(path)


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_are_refused(leaf, size, path):
    i, root, good, h = leaf - 1, ROOTS[size - 1], _path(path), HASHES[leaf - 1]
    probes = [
        (i + 1, size, h, good, root),
        (i ^ 2, size, h, good, root),
        (i, size * 2, h, good, root),
        (i, size // 2, h, good, root),
        (i, size, merkle.leaf_hash(b"WrongLeaf"), good, root),
        (i, size, h, good, merkle.EMPTY_ROOT),
        (i, size, h, good, SOME_HASH),
        (i, size, h, [*good, root], root),
        (i, size, h, [root, *good], root),
        (i, size, h, good[:-1], root),
        *((i, size, h, _flip(good, k, 8), root) for k in range(len(good))),
    ]
    if i > 0:
        probes.append((i - 1, size, h, good, root))
    for probe in probes:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_published_consistency_proofs_verify_and_are_the_ones_we_generate(old, new, path):
    merkle.verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], _path(path))
    assert merkle.consistency_proof(old, HASHES[:new]) == _path(path)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_corrupted_consistency_proofs_are_refused(old, new, path):
    r1, r2, good = ROOTS[old - 1], ROOTS[new - 1], _path(path)
    probes = [
        (old + 1, new, r1, r2, good),
        (old ^ 2, new, r1, r2, good),
        (old, new * 2, r1, r2, good),
        (old, new, SOME_HASH, r2, good),
        (old, new, r1, SOME_HASH, good),
        (old, new, r2, r1, good),
        (old, new, r1, r2, []),
        (old, new, r1, r2, [*good, r1]),
        (old, new, r1, r2, [r2, *good]),
        (old, new, r1, r2, [good[0], *good]),
        (old, new, r1, r2, good[:-1]),
        *((old, new, r1, r2, _flip(good, k, 16)) for k in range(len(good))),
    ]
    if old > 1:
        probes.append((old - 1, new, r1, r2, good))
    if new // 2 > old:
        probes.append((old, new // 2, r1, r2, good))
    for probe in probes:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(*probe)


def test_trivial_consistency_cases_follow_rfc_9162():
    merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[4], [])  # all logs extend empty
    merkle.verify_consistency(3, 3, ROOTS[2], ROOTS[2], [])
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(3, 3, ROOTS[2], ROOTS[3], [])  # two roots for one size
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(4, 3, ROOTS[3], ROOTS[2], [])  # a shrinking log
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(0, 1, merkle.EMPTY_ROOT, ROOTS[0], [merkle.EMPTY_ROOT])


def test_every_proof_in_a_larger_tree_agrees_with_an_independent_recursive_tree():
    data = [f"entry {i}".encode() for i in range(37)]
    hashes = [merkle.leaf_hash(d) for d in data]
    for size in range(1, len(data) + 1):
        root = _mth(data[:size])
        assert merkle.root_of(hashes[:size]) == root
        for index in range(size):
            proof = merkle.inclusion_proof(index, hashes[:size])
            merkle.verify_inclusion(index, size, hashes[index], proof, root)
        for old in range(1, size):
            proof = merkle.consistency_proof(old, hashes[:size])
            merkle.verify_consistency(old, size, _mth(data[:old]), root, proof)


def test_the_frontier_extends_a_tree_one_leaf_at_a_time():
    frontier: list[bytes] = []
    for size, leaf in enumerate(HASHES):
        merkle.frontier_append(frontier, size, leaf)
        assert merkle.frontier_root(frontier) == ROOTS[size]
    assert len(frontier) == 1  # 8 leaves: one complete subtree
