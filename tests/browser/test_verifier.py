"""The portal's verifier page (verify/) in a real Chromium, on a portal the service's use cases
generated: a real publication verifies (its leaves in the agency's signed tree head, rebuilt
from the published subtree hashes with WebCrypto); a tampered leaf, a tampered page or a
tampered signature does not; a tree head kept earlier is found consistent with the current one,
a forked head is not — and `sanxiang disclosure verify` (services.disclosure.cli) says the same
of the same log."""
from __future__ import annotations

import argparse
import base64
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.disclosure import cli
from services.disclosure.domain import log
from services.disclosure.usecases import portal as portal_usecases
from shared.trust.keys import key_id, public_key_pem
from tests.agencies import QINYUAN
from tests.browser.conftest import axe_violations
from tests.browser.portal_site import Site, build
from tests.unit.disclosure.test_verify_cli import QUERIES, READER


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Site:
    folder = tmp_path_factory.mktemp("portal")
    return build(folder / "site", folder / "disclosure.sqlite3")


@pytest.fixture
def site(built: Site, tmp_path: Path) -> Site:
    """A copy of the built site, for the test to tamper with."""
    shutil.copytree(built.folder, tmp_path / "site")
    return Site(tmp_path / "site", built.env, built.ids, built.old_heads, built.published)


def verdict(page, url: str, kept: dict | None = None) -> tuple[str, str, str]:
    page.goto(url)
    if kept is not None:
        page.fill("#verify-kept", json.dumps(kept, ensure_ascii=False))
        page.click("button[type=submit]")
        page.wait_for_function("() => document.querySelector('#verdict')"
                               ".getAttribute('data-verdict') !== 'running'")
    box = page.wait_for_selector("#verdict[data-verdict=valid], #verdict[data-verdict=invalid]")
    return (box.get_attribute("data-verdict"), box.get_attribute("data-consistency"),
            box.inner_text())


def edit(path: Path, change) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def cli_report(site: Site, pid: str, tmp_path: Path, known: dict | None = None) -> dict:
    folder = tmp_path / "keys" / "public" / "checkpoint" / "disclosure"
    folder.mkdir(parents=True, exist_ok=True)
    key = site.env.log_keys.signing
    (folder / f"{key_id(key.public_key())}.pem").write_text(public_key_pem(key))
    known_file = None
    if known is not None:
        known_file = tmp_path / "known.json"
        known_file.write_text(json.dumps(known))
    args = argparse.Namespace(publication_id=pid, keys=str(tmp_path / "keys"), known=known_file,
                              json=True)

    def call(method: str, payload: dict) -> dict:
        return site.env.call(QUERIES[method], method, payload, READER)
    code = cli.run_verify(args, call)
    return {"code": code}


def test_a_real_publication_verifies_in_the_page_and_with_the_cli(site, serve, page, tmp_path,
                                                                   capsys):
    served = serve(site.folder)
    pid = site.ids["training"]
    said, consistency, text = verdict(page, f"{served.url}verify/?id={pid}")
    assert (said, consistency) == ("valid", "none"), text
    assert "核验通过" in text
    # the page's own link, and the page's address instead of the id
    page.goto(f"{served.url}p/{pid}.html")
    page.get_by_role("link", name="核验本条信息是否载入公示日志").click()
    page.wait_for_selector("#verdict[data-verdict=valid]")
    said, _, _ = verdict(page, f"{served.url}verify/?id={served.url}p/{pid}.html")
    assert said == "valid"
    # the withdrawn one: its publication and its withdrawal both in the log
    said, _, text = verdict(page, f"{served.url}verify/?id={site.ids['boundary']}")
    assert said == "valid" and text.count("审计路径通向树头的根") == 2
    # the corrected one: what its page shows now is what the correction's leaf logged
    said, _, text = verdict(page, f"{served.url}verify/?id={site.ids['boiler']}")
    assert said == "valid" and text.count("审计路径通向树头的根") == 2, text
    assert page.watched.problems == []
    assert cli_report(site, pid, tmp_path)["code"] == cli.OK
    capsys.readouterr()


def test_a_tampered_leaf_page_or_signature_is_found_out(site, serve, page):
    served = serve(site.folder)
    pid = site.ids["training"]
    url = f"{served.url}verify/?id={pid}"
    data = site.folder / "p" / f"{pid}.json"
    original = data.read_text(encoding="utf-8")
    # the leaf itself: its hash no longer leads to the signed root
    edit(data, lambda t: t.replace("陆万元", "陆千元"))
    said, _, text = verdict(page, url)
    assert said == "invalid" and "未通过" in text
    assert axe_violations(page) == []
    data.write_text(original, encoding="utf-8")
    assert verdict(page, url)[0] == "valid"
    # the page shows another fine than the log holds
    edit(site.folder / "p" / f"{pid}.html",
         lambda t: t.replace("罚款人民币陆万元整", "罚款人民币陆千元整"))
    said, _, text = verdict(page, url)
    assert said == "invalid" and "公示页面显示的摘要与本条信息的数据一致" in text
    # the tree head's signature
    head = site.folder / portal_usecases.tree_head_path(QINYUAN)
    signed = json.loads(head.read_text())
    forged = bytearray(base64.b64decode(signed["signature"]))
    forged[0] ^= 1
    signed["signature"] = base64.b64encode(bytes(forged)).decode()
    head.write_text(json.dumps(signed))
    said, _, text = verdict(page, f"{served.url}verify/?id={site.ids['boundary']}")
    assert said == "invalid" and "未通过：树头" in text
    # no such publication on the portal, and no publication id at all
    said, _, text = verdict(page, f"{served.url}verify/?id=no-such-publication")
    assert said == "invalid" and "无法取得核验所需的文件" in text
    said, _, text = verdict(page, f"{served.url}verify/?id=第十二号")
    assert said == "invalid" and "不是公示编号" in text


def forked(site: Site, size: int) -> dict:
    """A head the log's own key signed over another tree of `size` leaves: a fork."""
    row = log.signed_tree_head(QINYUAN, size, "ab" * 32, site.env.log_keys,
                               datetime(2025, 10, 28, 2, 0, tzinfo=UTC))
    return {**row, "signed_at": row["signed_at"].isoformat()}


def test_a_kept_head_is_consistent_and_a_forked_one_is_not(site, serve, page, tmp_path,
                                                            capsys):
    served = serve(site.folder)
    pid = site.ids["training"]
    url = f"{served.url}verify/?id={pid}"
    old = site.old_heads[QINYUAN]
    assert old["size"] < site.head(QINYUAN)["size"]
    said, consistency, text = verdict(page, url, kept=old)
    assert (said, consistency) == ("valid", "consistent"), text
    assert f"日志自保存的 {old['size']} 条只增不改" in text
    # the head saved in the browser by that check is used next time: same size, same root
    page.goto(url)
    page.wait_for_selector("#verdict[data-verdict=valid]")
    assert page.get_attribute("#verdict", "data-consistency") == "consistent"
    for size in (old["size"], site.head(QINYUAN)["size"]):
        said, consistency, text = verdict(page, url, kept=forked(site, size))
        assert (said, consistency) == ("invalid", "inconsistent"), text
    # the CLI on the same log: the kept head consistent, the forked one not
    assert cli_report(site, pid, tmp_path, {QINYUAN: old})["code"] == cli.OK
    assert cli_report(site, pid, tmp_path, {QINYUAN: forked(site, old["size"])})["code"] \
        == cli.FAILED
    capsys.readouterr()
