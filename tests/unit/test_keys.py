"""The deployment's keys (shared.trust.keys): made only by `keys init`, never overwritten, private
keys in their signer's folder alone, public halves for everyone, named by their key id."""
from __future__ import annotations

import os
import stat

import pytest

from shared.cli import main as cli
from shared.errors import ConfigurationError
from shared.trust.keys import KeyStore, init_deployment, key_id


def test_init_makes_each_signer_its_own_key_and_publishes_the_public_halves(tmp_path):
    root = tmp_path / "keys"
    written = init_deployment(root, ["records", "review"], checkpoint_signers=["records"])
    assert {p.relative_to(root).parts[:2] for p in written} == {
        ("private", "records"), ("private", "review"), ("private", "issuer"),
        ("public", "events"), ("public", "checkpoint"), ("public", "token")}
    store = KeyStore(root)
    records, review = store.event_signing_key("records"), store.event_signing_key("review")
    assert records.kid != review.kid
    assert set(store.event_verification_keys("records")) == {records.kid}
    assert set(store.event_verification_keys("review")) == {review.kid}
    assert set(store.checkpoint_verification_keys("records")) == {
        store.checkpoint_key("records").kid}
    assert set(store.token_verification_keys()) == {store.token_issuer_key().kid}
    # the token issuer's key is in no service's folder
    assert not list((root / "private" / "records").glob("token*"))
    for path in (root / "private").rglob("*.pem"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_init_never_overwrites_and_a_second_run_writes_nothing(tmp_path):
    root = tmp_path / "keys"
    init_deployment(root, ["records"], checkpoint_signers=["records"])
    before = {p: p.read_bytes() for p in root.rglob("*.pem")}
    assert init_deployment(root, ["records"], checkpoint_signers=["records"]) == []
    assert {p: p.read_bytes() for p in root.rglob("*.pem")} == before


def test_a_missing_key_is_an_error_naming_the_file_and_the_command(tmp_path):
    store = KeyStore(tmp_path / "nothing")
    with pytest.raises(ConfigurationError, match=r"events\.ed25519\.pem.*sanxiang keys init"):
        store.event_signing_key("records")
    with pytest.raises(ConfigurationError, match=r"token\.ed25519\.pem.*sanxiang keys init"):
        store.token_issuer_key()
    assert not (tmp_path / "nothing").exists()  # and nothing was created on the way


def test_a_public_key_filed_under_another_id_is_refused(tmp_path):
    root = tmp_path / "keys"
    init_deployment(root, ["records", "review"])
    folder = root / "public" / "events" / "records"
    review_key = next((root / "public" / "events" / "review").glob("*.pem"))
    (folder / f"{'0' * 16}.pem").write_bytes(review_key.read_bytes())
    with pytest.raises(ConfigurationError, match="named 0000000000000000 but holds key"):
        KeyStore(root).event_verification_keys("records")


def test_cli_keys_init_and_token_issue_use_the_configured_root_from_any_directory(
        tmp_path, monkeypatch, capsys):
    root = tmp_path / "deployment-keys"
    monkeypatch.setenv("SANXIANG_KEYS", str(root))
    monkeypatch.chdir(tmp_path)
    # no key yet: issuing fails and creates nothing
    assert cli(["token", "issue", "--role", "officer", "--agency", "a", "--actor-id", "x"]) == 2
    assert "sanxiang keys init" in capsys.readouterr().err
    assert not root.exists()
    assert cli(["keys", "init", "--services", "records"]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    assert cli(["token", "issue", "--role", "officer", "--agency", "a", "--actor-id", "x"]) == 0
    token = capsys.readouterr().out.strip()
    from shared.trust.actor import TokenVerifier
    actor = TokenVerifier(KeyStore(root).token_verification_keys()).verify(token)
    assert (actor.id, actor.role, actor.agency) == ("x", "officer", "a")
    assert not (elsewhere / ".data").exists() and os.listdir(elsewhere) == []


def test_key_id_is_the_sha256_prefix_of_the_raw_public_key(tmp_path):
    init_deployment(tmp_path, ["records"])
    key = KeyStore(tmp_path).event_signing_key("records")
    assert key.kid == key_id(key.key.public_key()) and len(key.kid) == 16
