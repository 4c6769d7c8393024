"""The officers register as the record keeper sees it: the disclosure publisher's
officer_qualified (asked as this service, for the case's agency: the publisher grants it to
service:records), which the findings read of each officer a record names (domain.officers).

config DISCLOSURE: is the disclosure publisher part of this deployment? `required` — it is, so
a publisher down for a moment is answered as `unverified` (did not answer), never as qualified;
`absent` — it is not: every officer named is `unverified` (not deployed); `auto` (a deployment
that says nothing) — whether an instance consumes its RPC queue now. Each (certificate, day)
is asked once per computation of findings (domain.officers.Cached)."""
from __future__ import annotations

from datetime import date

from nameko.containers import WorkerContext

from services.records.domain import officers
from shared.errors import SanxiangError, ServiceNotDeployed, Unavailable
from shared.messaging.calls import AUTO, Peer, PeerClient
from shared.rulesets.vocabulary import ACT_TYPES


class RegisterClient:
    """One computation of findings (a worker's call): its checks, each cached."""

    def __init__(self, peer: PeerClient) -> None:
        self.peer = peer
        self.checks: dict[tuple[str, str | None], officers.Cached] = {}
        # once the publisher is found absent or silent, the rest of the computation is not
        # kept waiting for it a timeout per certificate and day
        self.down: officers.Verdict | None = None

    def check(self, agency: str, act_type: str) -> officers.Check:
        """The check of a case's officers: on the agency's register, for the 执法类别 of the
        case's kind of act; shared by the cases of the computation that ask the same."""
        category = ACT_TYPES.get(act_type)
        key = (agency, category)
        if key not in self.checks:
            def ask(certificate_no: str, on: date) -> officers.Verdict:
                return self.verdict(agency, certificate_no, on, category)
            self.checks[key] = officers.Cached(ask)
        return self.checks[key]

    def verdict(self, agency: str, certificate_no: str, on: date,
                category: str | None) -> officers.Verdict:
        if self.down is not None:
            return self.down
        try:
            return self._ask(agency, certificate_no, on, category)
        except _Down as down:
            self.down = down.verdict
            return self.down

    def _ask(self, agency: str, certificate_no: str, on: date,
             category: str | None) -> officers.Verdict:
        if not self.peer.deployed():
            raise _Down("the disclosure publisher is not deployed here",
                        "本部署未部署行政执法公示服务（disclosure），无法查询行政执法人员清单")
        try:
            answer = self.peer.call("officer_qualified", acting_for=agency, agency=agency,
                                    certificate_no=certificate_no, on=on.isoformat(),
                                    category=category)
        except ServiceNotDeployed:
            raise _Down("the disclosure publisher is not running",
                        "行政执法公示服务（disclosure）未运行，无法查询行政执法人员清单") from None
        except Unavailable:
            raise _Down("the disclosure publisher did not answer",
                        "行政执法公示服务（disclosure）未响应，无法查询行政执法人员清单") from None
        except SanxiangError as exc:   # this one refused (e.g. an agency it does not serve)
            why = exc.message_zh or exc.message
            return _unverified(f"the disclosure publisher refused: {exc.code}: {exc.message}",
                               f"行政执法公示服务（disclosure）拒绝查询：{why}")
        return officers.Verdict(str(answer["status"]), str(answer["reason"]),
                                str(answer["reason_zh"]))


class _Down(Exception):
    """The publisher absent or silent: no check of this computation can be made."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.verdict = _unverified(reason, reason_zh)


def _unverified(reason: str, reason_zh: str) -> officers.Verdict:
    return officers.Verdict(officers.UNVERIFIED, reason, reason_zh)


class Register(Peer):
    def __init__(self) -> None:
        super().__init__("disclosure", as_service=True, presence="DISCLOSURE",
                         default_presence=AUTO, timeout=10.0,
                         label="the disclosure publisher", label_zh="行政执法公示服务")

    def get_dependency(self, worker_ctx: WorkerContext) -> RegisterClient:  # type: ignore[override]
        return RegisterClient(super().get_dependency(worker_ctx))
