"""An append-only Merkle tree exactly as RFC 9162 (Certificate Transparency v2) §2.1 defines
it: leaf hash SHA-256(0x00 ‖ leaf), interior node SHA-256(0x01 ‖ left ‖ right), the Merkle
Tree Hash (MTH) of any number of leaves, inclusion proofs (§2.1.3) and consistency proofs
(§2.1.4), each generated and verified by the RFC's algorithms.

A log that only grows keeps its `Frontier`: the roots of the perfect subtrees its size
decomposes into (one per set bit, largest first). Appending a leaf and computing the root are
O(log n) and need nothing else; the merged nodes an append creates are handed back so a log
can keep every perfect subtree's root, from which any proof is answered in O(log n) lookups
(`NodeSource`: (level, index) → the root of the perfect subtree over leaves
[index·2^level, (index+1)·2^level); level 0 is the leaf hashes).

Pure and independent of what the leaves say: the record keeper's case checkpoints and the
disclosure register's publications use it alike."""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()   # MTH({}) = HASH()

NodeId = tuple[int, int]                    # (level, index) of a perfect subtree
NodeSource = Callable[[int, int], bytes]


def leaf_hash(leaf: bytes) -> bytes:
    """MTH({d(0)}) = HASH(0x00 ‖ d(0))."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 ‖ left ‖ right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    if n < 2:
        raise ValueError(f"a split needs at least two leaves, not {n}")
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the leaves' hashes, by the RFC's recursion (O(n): for tests and small
    trees; a growing log keeps a Frontier)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = split(len(leaf_hashes))
    return node_hash(root_of(leaf_hashes[:k]), root_of(leaf_hashes[k:]))


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves themselves."""
    return root_of([leaf_hash(leaf) for leaf in leaves])


# ---- proofs from stored subtree roots --------------------------------------------------------

def subtree_root(source: NodeSource, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC's recursion produces (start a multiple of the
    largest power of two not above end - start): one stored node when the range is a perfect
    subtree, else composed of O(log n) of them."""
    size = end - start
    if size < 1:
        raise ValueError(f"empty range [{start}, {end})")
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return source(level, start >> level)
    k = split(size)
    return node_hash(subtree_root(source, start, start + k), subtree_root(source, start + k, end))


def inclusion_proof(index: int, size: int, source: NodeSource) -> list[bytes]:
    """PATH(m, D[n]) (RFC 9162 §2.1.3.1) of leaf `index` in the tree of `size` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return _path(index, 0, size, source)


def _path(m: int, start: int, end: int, source: NodeSource) -> list[bytes]:
    n = end - start
    if n == 1:
        return []
    k = split(n)
    if m < k:
        return _path(m, start, start + k, source) + [subtree_root(source, start + k, end)]
    return _path(m - k, start + k, end, source) + [subtree_root(source, start, start + k)]


def consistency_proof(first: int, second: int, source: NodeSource) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 9162 §2.1.4.1), 0 < m ≤ n (empty when
    m = n)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    return _subproof(first, 0, second, True, source)


def _subproof(m: int, start: int, end: int, whole: bool, source: NodeSource) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree_root(source, start, end)]
    k = split(n)
    if m <= k:
        return _subproof(m, start, start + k, whole, source) + [
            subtree_root(source, start + k, end)]
    return _subproof(m - k, start + k, end, False, source) + [
        subtree_root(source, start, start + k)]


def _recorded(prove: Callable[[NodeSource], object]) -> list[NodeId]:
    """The nodes a proof reads (its shape depends on the sizes alone), so a store can fetch
    them in one go before the proof is computed from them."""
    seen: list[NodeId] = []

    def record(level: int, index: int) -> bytes:
        seen.append((level, index))
        return bytes(HASH_SIZE)
    prove(record)
    return seen


def inclusion_nodes(index: int, size: int) -> list[NodeId]:
    return _recorded(lambda source: inclusion_proof(index, size, source))


def consistency_nodes(first: int, second: int) -> list[NodeId]:
    return _recorded(lambda source: consistency_proof(first, second, source))


# ---- verification ----------------------------------------------------------------------------

def _well_formed(*hashes: bytes) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in hashes)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes],
                     root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show the leaf whose hash is `leaf` at `index` of the
    tree of `size` leaves whose root is `root`?"""
    if not 0 <= index < size or not _well_formed(leaf, root, *proof):
        return False
    climbed = _climb(leaf, index, size, proof)
    return climbed is not None and climbed == root


def _climb(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root the inclusion proof's path leads to from `leaf` (RFC 9162 §2.1.3.2, steps
    2–5), or None where the proof is longer or shorter than the path."""
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show the tree of `second` leaves with root
    `second_root` extending the tree of `first` leaves with root `first_root`? Equal sizes:
    an empty proof and equal roots. A tree of no leaves proves nothing (refused)."""
    if not 0 < first <= second or not _well_formed(first_root, second_root, *proof):
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (verify_inclusion against it holds or not); a
    proof that does not fit the path leads to no root (ValueError)."""
    climbed = _climb(leaf, index, size, proof)
    if climbed is None:
        raise ValueError(f"the proof of {len(proof)} hashes does not fit the path of leaf "
                         f"{index} of {size}")
    return climbed


# ---- the append-only form --------------------------------------------------------------------

@dataclass(frozen=True)
class Frontier:
    """A log of `size` leaves as the roots of its perfect subtrees, largest (leftmost) first —
    one per set bit of `size`. Enough to append and to compute the root, in O(log n)."""
    size: int = 0
    nodes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.size < 0 or len(self.nodes) != bin(self.size).count("1") \
                or not _well_formed(*self.nodes):
            raise ValueError(f"a frontier of {self.size} leaves has one 32-byte root per set "
                             f"bit of its size, not {len(self.nodes)}")

    def root(self) -> bytes:
        """MTH of the log: the subtree roots folded from the right."""
        if not self.nodes:
            return EMPTY_ROOT
        r = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            r = node_hash(node, r)
        return r

    def ids(self) -> list[NodeId]:
        """(level, index) of each of `nodes`."""
        out, start = [], 0
        for level in range(self.size.bit_length() - 1, -1, -1):
            if self.size >> level & 1:
                out.append((level, start >> level))
                start += 1 << level
        return out

    def by_id(self) -> dict[NodeId, bytes]:
        return dict(zip(self.ids(), self.nodes, strict=True))

    def append(self, leaf: bytes) -> tuple[Frontier, list[tuple[NodeId, bytes]]]:
        """The frontier with the leaf whose hash is `leaf` appended, and the perfect subtrees
        that append completed ((level, index), root) — the leaf itself first, then each
        merge."""
        if not _well_formed(leaf):
            raise ValueError("a leaf hash has 32 bytes")
        made: list[tuple[NodeId, bytes]] = [((0, self.size), leaf)]
        nodes = list(self.nodes)
        carry, level, index = leaf, 0, self.size
        while (self.size >> level) & 1:   # a subtree of this level is there: merge with it
            carry = node_hash(nodes.pop(), carry)
            level, index = level + 1, index >> 1
            made.append(((level, index), carry))
        nodes.append(carry)
        return Frontier(self.size + 1, tuple(nodes)), made

    def to_hex(self) -> list[str]:
        return [node.hex() for node in self.nodes]

    @classmethod
    def from_hex(cls, size: int, nodes: Sequence[str]) -> Frontier:
        return cls(size, tuple(bytes.fromhex(node) for node in nodes))


def next_consistency(before: Frontier, leaf: bytes) -> list[bytes]:
    """The consistency proof from `before` to `before` with one leaf appended, from the
    frontier alone (every node it names is a root of `before` or the new leaf)."""
    if before.size == 0:
        return []
    known = before.by_id()
    known[(0, before.size)] = leaf
    return consistency_proof(before.size, before.size + 1, lambda lv, ix: known[(lv, ix)])
