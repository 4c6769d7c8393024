# ruff: noqa: E501  (the script reads better with its lines whole)
"""The portal's verifier page script (assets/verify.js): a reader checks a publication against
the agency's signed log from the portal's own files, in the browser, with WebCrypto alone
(SHA-256, Ed25519) — no framework, nothing from elsewhere. What it checks, as
`sanxiang disclosure verify` does over RPC (services.disclosure.cli):

1. the tree head (transparency/<agency>/tree-head.json) is signed by a key the portal publishes
   (keys/disclosure-log.json, SPKI PEM) and its fields are those of the signed statement;
2. each public act of the publication (p/<id>.json: leaf_index, leaf) is that act of that
   publication, and its leaf sits in the head's tree: the RFC 9162 audit path is built from the
   published subtree hashes (transparency/<agency>/tree/<level>/<index>.hex) and climbed to
   the head's root;
3. what the page shows (the summary table of p/<id>.html, the JSON's summary) is what the
   logged acts published;
4. with a tree head the reader kept (pasted, or the one this browser saved after its last
   successful check): signed too, and the current log extends it (RFC 9162 consistency proof
   from the same subtree hashes). The current head is saved once every check held.

Sizes are handled with arithmetic, not JavaScript's 32-bit bit operators."""
from __future__ import annotations

VERIFY_SCRIPT = r"""(function () {
  "use strict";
  var HEAD_TYPE = "sanxiang.disclosure.tree_head.v1";
  var LEAF_TYPE = "sanxiang.disclosure.publication.v1";
  var ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
  var STATE_OF = { published: "published", corrected: "corrected", withdrawn: "withdrawn",
                   expired: "expired", credit_repaired: "expired" };
  var root = "/";

  function utf8(s) { return new TextEncoder().encode(s); }
  function concat(parts) {
    var n = 0, i, out, at = 0;
    for (i = 0; i < parts.length; i++) { n += parts[i].length; }
    out = new Uint8Array(n);
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function unhex(s) {
    if (typeof s !== "string" || !/^[0-9a-f]{64}$/.test(s)) { throw new Error("不是哈希值"); }
    var out = new Uint8Array(32), i;
    for (i = 0; i < 32; i++) { out[i] = parseInt(s.substr(i * 2, 2), 16); }
    return out;
  }
  function unbase64(s) {
    var bin = atob(s), out = new Uint8Array(bin.length), i;
    for (i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out;
  }
  function same(a, b) { return hex(a) === hex(b); }
  function odd(n) { return n % 2 === 1; }
  function half(n) { return Math.floor(n / 2); }
  function split(n) { var k = 1; while (k * 2 < n) { k *= 2; } return k; }
  function perfect(n) { while (n > 1 && !odd(n)) { n = half(n); } return n === 1; }
  function level(n) { var l = 0; while (n > 1) { n = half(n); l += 1; } return l; }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  function leafHash(text) { return sha256(concat([new Uint8Array([0]), utf8(text)])); }
  function nodeHash(l, r) { return sha256(concat([new Uint8Array([1]), l, r])); }

  async function fetched(path, as) {
    var r = await fetch(root + path, { cache: "no-store" });
    if (!r.ok) { throw new Error(path + "（HTTP " + r.status + "）"); }
    return as === "text" ? r.text() : r.json();
  }

  // the published perfect-subtree hashes of one agency's log: (level, index) -> hash
  function Nodes(agency) { this.agency = agency; this.known = {}; }
  Nodes.prototype.get = function (lv, ix) {
    var key = lv + "/" + ix, self = this;
    if (!this.known[key]) {
      this.known[key] = fetched("transparency/" + this.agency + "/tree/" + key + ".hex", "text")
        .then(function (t) { return unhex(t.trim()); });
    }
    return self.known[key];
  };

  // RFC 9162 2.1: MTH of leaves [start, end) from stored subtree roots
  async function subtreeRoot(nodes, start, end) {
    var size = end - start, k;
    if (perfect(size) && start % size === 0) { return nodes.get(level(size), start / size); }
    k = split(size);
    return nodeHash(await subtreeRoot(nodes, start, start + k),
                    await subtreeRoot(nodes, start + k, end));
  }
  // 2.1.3.1 PATH(m, D[n])
  async function path(m, start, end, nodes) {
    var n = end - start, k;
    if (n === 1) { return []; }
    k = split(n);
    if (m < k) {
      return (await path(m, start, start + k, nodes)).concat([await subtreeRoot(nodes, start + k, end)]);
    }
    return (await path(m - k, start + k, end, nodes)).concat([await subtreeRoot(nodes, start, start + k)]);
  }
  // 2.1.4.1 SUBPROOF(m, D[n], b)
  async function subproof(m, start, end, whole, nodes) {
    var n = end - start, k;
    if (m === n) { return whole ? [] : [await subtreeRoot(nodes, start, end)]; }
    k = split(n);
    if (m <= k) {
      return (await subproof(m, start, start + k, whole, nodes)).concat([await subtreeRoot(nodes, start + k, end)]);
    }
    return (await subproof(m - k, start + k, end, false, nodes)).concat([await subtreeRoot(nodes, start, start + k)]);
  }
  // 2.1.3.2: the root an inclusion proof leads to (null when it does not fit the path)
  async function climb(leaf, index, size, proof) {
    var fn = index, sn = size - 1, r = leaf, i, p;
    if (index < 0 || index >= size) { return null; }
    for (i = 0; i < proof.length; i++) {
      p = proof[i];
      if (sn === 0) { return null; }
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn); sn = half(sn);
    }
    return sn === 0 ? r : null;
  }
  // 2.1.4.2
  async function consistent(first, second, firstRoot, secondRoot, proof) {
    var pathed = proof.slice(), fn, sn, fr, sr, i, c;
    if (!(first > 0 && first <= second)) { return false; }
    if (first === second) { return proof.length === 0 && same(firstRoot, secondRoot); }
    if (!proof.length) { return false; }
    if (perfect(first)) { pathed.unshift(firstRoot); }
    fn = first - 1; sn = second - 1;
    while (odd(fn)) { fn = half(fn); sn = half(sn); }
    fr = sr = pathed[0];
    for (i = 1; i < pathed.length; i++) {
      c = pathed[i];
      if (sn === 0) { return false; }
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr); sr = await nodeHash(c, sr);
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn); sn = half(sn);
    }
    return same(fr, firstRoot) && same(sr, secondRoot) && sn === 0;
  }

  async function publicKey(pem) {
    var b64 = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    return crypto.subtle.importKey("spki", unbase64(b64), { name: "Ed25519" }, false, ["verify"]);
  }
  // the head as its signed statement says it, or null
  async function signedHead(head, keys) {
    try {
      var pem = keys[head.key_id], stated;
      if (typeof pem !== "string" || typeof head.statement !== "string") { return null; }
      if (!await crypto.subtle.verify({ name: "Ed25519" }, await publicKey(pem),
                                      unbase64(head.signature), utf8(head.statement))) {
        return null;
      }
      stated = JSON.parse(head.statement);
      if (stated.type !== HEAD_TYPE || stated.agency !== head.agency || stated.size !== head.size
          || stated.root !== head.root || !Number.isInteger(stated.size) || stated.size < 1) {
        return null;
      }
      unhex(stated.root);
      return head;
    } catch (e) { return null; }
  }

  function Report() { this.checks = []; }
  Report.prototype.check = function (ok, text) { this.checks.push({ ok: !!ok, text: text }); return !!ok; };
  Report.prototype.ok = function () {
    return this.checks.length > 0 && this.checks.every(function (c) { return c.ok; });
  };

  function strings(value, into) {
    if (typeof value === "string") { into[value] = true; }
    else if (typeof value === "number") { into[String(value)] = true; }
    else if (value && typeof value === "object") {
      Object.keys(value).forEach(function (k) { strings(value[k], into); });
    }
    return into;
  }
  function logged(value, said) {
    var parsed;
    if (said[value]) { return true; }
    try { parsed = JSON.parse(value); } catch (e) { return false; }
    if (!parsed || typeof parsed !== "object") { return false; }
    return Object.keys(strings(parsed, {})).every(function (s) { return said[s]; });
  }
  function pageSummary(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var rows = doc.querySelectorAll("section[aria-labelledby=summary] tbody tr");
    return Array.prototype.map.call(rows, function (tr) {
      return [tr.querySelector("th").textContent, tr.querySelector("td").textContent];
    });
  }

  async function acts(pub, head, nodes, report) {
    var list = (pub.history || []).filter(function (c) { return Number.isInteger(c.leaf_index); });
    var covered = list.filter(function (c) { return c.leaf_index < head.size; });
    var said = {}, i, c, leaf, proof, reached;
    if (!report.check(covered.length > 0, "本条信息的 " + list.length + " 项公示行为中有 "
                      + covered.length + " 项在树头所含的 " + head.size + " 条记录之内")) { return; }
    for (i = 0; i < covered.length; i++) {
      c = covered[i];
      try { leaf = JSON.parse(c.leaf); } catch (e) { leaf = null; }
      if (!report.check(leaf && leaf.type === LEAF_TYPE && leaf.publication_id === pub.id
                        && leaf.agency === pub.agency_code && STATE_OF[leaf.action] === c.state,
                        "第 " + c.leaf_index + " 条记录是本条信息的“" + c.state + "”")) { continue; }
      proof = await path(c.leaf_index, 0, head.size, nodes);
      reached = await climb(await leafHash(c.leaf), c.leaf_index, head.size, proof);
      report.check(reached && hex(reached) === head.root,
                   "第 " + c.leaf_index + " 条记录的审计路径通向树头的根");
      if (leaf.action === "published" || leaf.action === "corrected") { strings(leaf.body, said); }
    }
    return said;
  }

  async function content(pub, said, report) {
    var shown = await fetched("p/" + pub.id + ".html", "text"), rows = pageSummary(shown);
    var summary = pub.summary || [];
    report.check(rows.length === summary.length && rows.every(function (r, i) {
      return r[0] === summary[i][0] && r[1] === summary[i][1]; }),
      "公示页面显示的摘要与本条信息的数据一致");
    report.check(summary.every(function (pair) { return logged(pair[1], said); }),
                 "摘要的每一项都是日志所记公示内容");
  }

  function keptHead(agency) {
    var text = document.getElementById("verify-kept").value.trim();
    if (!text) { text = localStorage.getItem("sanxiang.tree-head." + agency) || ""; }
    if (!text) { return null; }
    try { return JSON.parse(text); } catch (e) { return { invalid: true }; }
  }

  async function grew(kept, head, keys, nodes, report) {
    var proof;
    if (!report.check(!kept.invalid && kept.agency === head.agency && await signedHead(kept, keys),
                      "保存的树头是本机关日志经签名的树头")) { return false; }
    if (kept.size > head.size) {
      return report.check(false, "日志从 " + kept.size + " 条缩短为 " + head.size + " 条");
    }
    if (kept.size === head.size) {
      return report.check(kept.root === head.root, "日志仍为 " + head.size + " 条，根相同");
    }
    proof = await subproof(kept.size, 0, head.size, true, nodes);
    return report.check(await consistent(kept.size, head.size, unhex(kept.root), unhex(head.root), proof),
                        "日志自保存的 " + kept.size + " 条只增不改，增长到 " + head.size + " 条");
  }

  async function verify(id) {
    var report = new Report(), pub, head, keys, nodes, said, kept, consistency = "none";
    pub = await fetched("p/" + id + ".json");
    keys = (await fetched("keys/disclosure-log.json")).keys || {};
    head = await fetched("transparency/" + pub.agency_code + "/tree-head.json");
    if (!report.check(pub.id === id, "公示编号 " + id)) { return { report: report }; }
    if (!report.check(await signedHead(head, keys), "树头（" + head.size + " 条记录）由平台公布的密钥 "
                      + head.key_id + " 签名")) { return { report: report }; }
    nodes = new Nodes(head.agency);
    if (pub.state === "expired") {
      report.check(true, "本条信息已撤下，内容不再公示，不再核验其内容");
    } else {
      said = await acts(pub, head, nodes, report);
      if (said) { await content(pub, said, report); }
    }
    kept = keptHead(head.agency);
    if (kept) { consistency = await grew(kept, head, keys, nodes, report) ? "consistent" : "inconsistent"; }
    return { report: report, head: head, consistency: consistency };
  }

  function show(done, id) {
    var box = document.getElementById("verdict"), ok = done.report.ok();
    var p = document.createElement("p"), strong = document.createElement("strong"), ul;
    box.textContent = "";
    box.setAttribute("data-verdict", ok ? "valid" : "invalid");
    box.setAttribute("data-consistency", done.consistency || "none");
    p.className = ok ? "ok" : "bad";
    strong.textContent = ok ? "核验通过" : "核验未通过";
    p.appendChild(strong);
    p.appendChild(document.createTextNode(ok
      ? "：公示信息 " + id + " 载入本机关经签名的公示日志，页面内容与日志记录一致。"
      : "：公示信息 " + id + " 与经签名的公示日志不符，请勿采信本页内容，并向公示机关反映。"));
    box.appendChild(p);
    ul = document.createElement("ul");
    done.report.checks.forEach(function (c) {
      var li = document.createElement("li");
      li.className = c.ok ? "ok" : "bad";
      li.textContent = (c.ok ? "通过：" : "未通过：") + c.text;
      ul.appendChild(li);
    });
    box.appendChild(ul);
    if (ok && done.head) {
      var text = JSON.stringify(done.head);
      localStorage.setItem("sanxiang.tree-head." + done.head.agency, text);
      document.getElementById("verify-head").textContent = text;
    }
  }

  function failed(message) {
    var box = document.getElementById("verdict"), p = document.createElement("p");
    box.textContent = "";
    box.setAttribute("data-verdict", "invalid");
    box.setAttribute("data-consistency", "none");
    p.className = "bad";
    p.textContent = "核验未通过：" + message;
    box.appendChild(p);
  }

  function idOf(text) {
    var last = text.trim().split(/[?#]/)[0].split("/").pop().replace(/\.(html|json)$/, "");
    return ID.test(last) ? last : null;
  }

  function run(text) {
    var id = idOf(text);
    if (!id) { failed("“" + text + "”不是公示编号或公示页面地址"); return; }
    document.getElementById("verdict").setAttribute("data-verdict", "running");
    verify(id).then(function (done) { show(done, id); },
                    function (e) { failed("无法取得核验所需的文件：" + e.message); });
  }

  function start() {
    var form = document.getElementById("verify-form"), field = document.getElementById("verify-id");
    var asked = new URLSearchParams(location.search);
    if (!form) { return; }
    root = form.getAttribute("data-root") || "/";
    form.addEventListener("submit", function (event) { event.preventDefault(); run(field.value); });
    if (asked.get("kept")) { document.getElementById("verify-kept").value = asked.get("kept"); }
    if (asked.get("id")) { field.value = asked.get("id"); run(field.value); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else { start(); }
}());
"""
