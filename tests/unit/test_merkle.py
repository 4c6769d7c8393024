"""shared.trust.merkle against the RFC 6962 / 9162 reference data of the Certificate
Transparency implementation (merkle_tree_test.cc, carried by Trillian and transparency-dev/merkle:
the eight test leaves, the root of every prefix, published inclusion and consistency proofs), and
properties: every proof it makes verifies, and any altered proof, leaf, index, size or root
does not."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.trust import merkle

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]
H = {name: bytes.fromhex(h) for name, h in {
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "b086": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"}.items()}
# (index 0-based, size, audit path): transparency-dev/merkle testonly/reference_test.go
INCLUSION = [(0, 1, []), (0, 2, ["96a2"]), (1, 2, ["6e34"]), (2, 3, ["fac5"]),
             (1, 5, ["6e34", "5f08", "bc1a"]), (0, 8, ["96a2", "5f08", "6b47"]),
             (5, 8, ["bc1a", "ca85", "d37e"])]
# (size1, size2, proof): transparency-dev/merkle proof/verify_test.go
CONSISTENCY = [(1, 1, []), (1, 8, ["96a2", "5f08", "6b47"]), (6, 8, ["0ebc", "ca85", "d37e"]),
               (2, 5, ["5f08", "bc1a"]), (6, 7, ["0ebc", "b086", "d37e"])]


def _source(leaves):
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    return lambda level, index: merkle.root_of(hashes[index << level:(index + 1) << level])


def test_the_empty_tree_and_the_hashes_of_the_rfc():
    assert merkle.EMPTY_ROOT.hex() == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
                                      "1b7852b855")
    assert merkle.leaf_hash(b"L123456").hex() == ("395aa064aa4c29f7010acfe3f25db9485bbd4b9189"
                                                  "7b6ad7ad547639252b4d56")
    assert merkle.node_hash(b"N123", b"N456").hex() == ("aa217fe888e47007fa15edab33c2b492a722"
                                                        "cb106c64667fc2b044444de66bbb")


def test_every_prefix_has_its_published_root_by_recursion_and_by_frontier():
    frontier = merkle.Frontier()
    assert frontier.root() == merkle.EMPTY_ROOT
    for n in range(1, 9):
        assert merkle.mth(LEAVES[:n]) == ROOTS[n - 1]
        frontier, _ = frontier.append(merkle.leaf_hash(LEAVES[n - 1]))
        assert frontier.root() == ROOTS[n - 1]
        again = merkle.Frontier.from_hex(frontier.size, frontier.to_hex())
        assert again == frontier


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_published_inclusion_proofs(index, size, path):
    proof = merkle.inclusion_proof(index, size, _source(LEAVES[:size]))
    assert proof == [H[p] for p in path]
    assert merkle.verify_inclusion(merkle.leaf_hash(LEAVES[index]), index, size, proof,
                                   ROOTS[size - 1])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_published_consistency_proofs(first, second, path):
    proof = merkle.consistency_proof(first, second, _source(LEAVES[:second]))
    assert proof == [H[p] for p in path]
    assert merkle.verify_consistency(first, second, ROOTS[first - 1], ROOTS[second - 1], proof)


def test_sizes_that_prove_nothing_are_refused():
    some = ROOTS[0]
    assert not merkle.verify_consistency(0, 1, merkle.EMPTY_ROOT, some, [])
    assert not merkle.verify_consistency(2, 1, ROOTS[1], some, [])
    assert not merkle.verify_consistency(1, 1, ROOTS[0], ROOTS[1], [])
    assert not merkle.verify_consistency(1, 1, ROOTS[0], ROOTS[0], [merkle.EMPTY_ROOT])
    assert not merkle.verify_consistency(1, 2, ROOTS[0], ROOTS[1], [])
    for index, size in ((0, 0), (1, 0), (2, 1)):
        assert not merkle.verify_inclusion(some, index, size, [], some)
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, 3, _source(LEAVES[:3]))
    with pytest.raises(ValueError):
        merkle.consistency_proof(0, 3, _source(LEAVES[:3]))


def _flip(proof, i):
    changed = list(proof)
    changed[i] = bytes([changed[i][0] ^ 8]) + changed[i][1:]
    return changed


def _inclusion_variants(index, size, proof, leaf, root):
    yield index + 1, size, proof, leaf, root
    if index:
        yield index - 1, size, proof, leaf, root
    yield index ^ 2, size, proof, leaf, root
    yield index, size * 2, proof, leaf, root
    yield index, size // 2, proof, leaf, root
    yield index, size, proof, merkle.leaf_hash(b"WrongLeaf"), root
    yield index, size, proof, leaf, merkle.EMPTY_ROOT
    yield index, size, proof + [root], leaf, root
    yield index, size, [root] + proof, leaf, root
    yield index, size, proof + [b""], leaf, root
    for i in range(len(proof)):
        yield index, size, _flip(proof, i), leaf, root
    if proof:
        yield index, size, proof[:-1], leaf, root
        yield index, size, proof[1:], leaf, root
    if len(proof) > 1:
        yield index, size, [proof[0], merkle.EMPTY_ROOT] + proof[1:], leaf, root


def _consistency_variants(first, second, r1, r2, proof):
    yield first - 1, second, r1, r2, proof
    yield first + 1, second, r1, r2, proof
    yield first ^ 2, second, r1, r2, proof
    yield first, second * 2, r1, r2, proof
    yield first, second // 2, r1, r2, proof
    yield first, second, merkle.EMPTY_ROOT, r2, proof
    yield first, second, r1, merkle.EMPTY_ROOT, proof
    yield first, second, r2, r1, proof
    yield first, second, r1, r2, []
    yield first, second, r1, r2, proof + [r1]
    yield first, second, r1, r2, proof + [r2]
    yield first, second, r1, r2, [r1] + proof
    yield first, second, r1, r2, [r2] + proof
    yield first, second, r1, r2, [proof[0]] + proof
    yield first, second, r1, r2, proof[:-1]
    for i in range(len(proof)):
        yield first, second, r1, r2, _flip(proof, i)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_every_inclusion_proof_verifies_and_no_altered_one_does(size, data):
    leaves = [i.to_bytes(2, "little") for i in range(size)]
    index = data.draw(st.integers(0, size - 1))
    root = merkle.mth(leaves)
    proof = merkle.inclusion_proof(index, size, _source(leaves))
    leaf = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(leaf, index, size, proof, root)
    assert merkle.root_from_inclusion(leaf, index, size, proof) == root
    assert len(merkle.inclusion_nodes(index, size)) >= len(proof)
    for variant in _inclusion_variants(index, size, proof, leaf, root):
        assert not merkle.verify_inclusion(variant[3], variant[0], variant[1], variant[2],
                                           variant[4]), variant[:2]



@settings(max_examples=150, deadline=None)
@given(second=st.integers(2, 70), data=st.data())
def test_every_consistency_proof_verifies_and_no_altered_one_does(second, data):
    leaves = [i.to_bytes(2, "little") for i in range(second)]
    first = data.draw(st.integers(1, second - 1))
    r1, r2 = merkle.mth(leaves[:first]), merkle.mth(leaves)
    proof = merkle.consistency_proof(first, second, _source(leaves))
    assert merkle.verify_consistency(first, second, r1, r2, proof)
    assert len(merkle.consistency_nodes(first, second)) >= len(proof)
    for variant in _consistency_variants(first, second, r1, r2, proof):
        assert not merkle.verify_consistency(*variant), variant[:2]


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 200))
def test_the_frontier_is_the_tree_and_its_appends_name_every_perfect_subtree(size):
    leaves = [i.to_bytes(2, "little") for i in range(size + 1)]
    frontier, stored = merkle.Frontier(), dict[merkle.NodeId, bytes]()
    for leaf in leaves[:size]:
        frontier, made = frontier.append(merkle.leaf_hash(leaf))
        stored.update(made)
    assert frontier.root() == merkle.mth(leaves[:size])
    assert frontier.by_id() == {i: stored[i] for i in frontier.ids()}
    source = _source(leaves[:size])
    assert all(source(*node) == h for node, h in stored.items())
    # the next head's consistency proof from the frontier alone
    new_leaf = merkle.leaf_hash(leaves[size])
    after, _ = frontier.append(new_leaf)
    proof = merkle.next_consistency(frontier, new_leaf)
    if size:
        assert proof == merkle.consistency_proof(size, size + 1, _source(leaves))
        assert merkle.verify_consistency(size, size + 1, frontier.root(), after.root(), proof)


def test_a_frontier_that_does_not_fit_its_size_is_refused():
    with pytest.raises(ValueError):
        merkle.Frontier(3, (ROOTS[0],))
    with pytest.raises(ValueError):
        merkle.Frontier(1, (b"short",))
