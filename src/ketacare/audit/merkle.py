"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, proofs and their verifiers.

Implements §2.1.1 (MTH: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right),
the empty tree's hash is SHA-256 of nothing), §2.1.3 (inclusion proofs: PATH and the
verification algorithm of §2.1.3.2) and §2.1.4 (consistency proofs: PROOF/SUBPROOF and the
verification algorithm of §2.1.4.2), plus the compact range ("frontier") the sequencer keeps
so that appending a leaf costs O(log n) hashes.

Plain functions over bytes: no Django, no database, no clock, so a verifier can use this
module alone. Proof *generation* takes the list of leaf hashes (O(n) hashing); proof
*verification* needs only the proof, the sizes and the roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify (or is malformed for the sizes given)."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- The compact range: the complete subtrees a tree of n leaves decomposes into -----------


def frontier_append(frontier: list[bytes], size: int, leaf: bytes) -> None:
    """Append one leaf hash to ``frontier`` (the roots of the complete subtrees of a tree of
    ``size`` leaves, largest first), in place."""
    merged = leaf
    while size & 1:
        merged = node_hash(frontier.pop(), merged)
        size >>= 1
    frontier.append(merged)


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """MTH of the tree the frontier describes: the subtrees folded from the right (RFC 9162
    splits at the largest power of two below n, so the left part is always complete)."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for subtree in reversed(frontier[:-1]):
        root = node_hash(subtree, root)
    return root


def frontier_of(leaves: Sequence[bytes]) -> list[bytes]:
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier_append(frontier, size, leaf)
    return frontier


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes."""
    return frontier_root(frontier_of(leaves))


# --- Proof generation (§2.1.3.1, §2.1.4.1) ---------------------------------------------------


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the audit path for leaf ``index`` in the tree of ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of {len(leaves)} leaves")
    return _path(index, leaves)


def _path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*_path(m, leaves[:k]), root_of(leaves[k:])]
    return [*_path(m - k, leaves[k:]), root_of(leaves[:k])]


def consistency_proof(old_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]): proves the tree of the first ``old_size`` leaves is a prefix of the
    tree of all ``leaves``. Empty when old_size is 0 or equals n."""
    n = len(leaves)
    if not 0 <= old_size <= n:
        raise ProofError(f"cannot prove size {old_size} against a tree of {n} leaves")
    if old_size in (0, n):
        return []
    return _subproof(old_size, leaves, True)


def _subproof(m: int, leaves: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [root_of(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], complete), root_of(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root_of(leaves[:k])]


# --- Verification (§2.1.3.2, §2.1.4.2) -------------------------------------------------------


def verify_inclusion(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree
    of ``tree_size`` leaves whose root is ``root``."""
    if index >= tree_size or index < 0:
        raise ProofError(f"leaf index {index} is outside a tree of {tree_size} leaves")
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if len(p) != HASH_SIZE:
            raise ProofError("a proof element is not a SHA-256 hash")
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the proof does not lead to the signed root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ProofError unless ``proof`` shows the tree of ``old_size`` leaves with root
    ``old_root`` is a prefix of the tree of ``new_size`` leaves with root ``new_root``."""
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"a log of {new_size} leaves cannot extend one of {old_size}")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError(f"two different roots were signed for size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise ProofError("every log extends the empty log: the proof must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    if any(len(c) != HASH_SIZE for c in proof):
        raise ProofError("a proof element is not a SHA-256 hash")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError(f"the proof does not reproduce the signed root of size {old_size}")
    if sr != new_root:
        raise ProofError(f"the proof does not reproduce the signed root of size {new_size}")
