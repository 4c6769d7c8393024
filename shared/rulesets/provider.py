"""Which rules apply: the deployment's agencies (shared.rulesets.agencies: every registered
one, or those config AGENCIES names), the rule-set repository and the legal calendar, loaded
once per container in setup()."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nameko.extensions import DependencyProvider

from shared.calendar.legal import Calendar
from shared.errors import ConfigurationError, NotFound
from shared.rulesets.agencies import configured
from shared.rulesets.repository import RuleSet, RuleSetRepository


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    ruleset: RuleSet


class Rules:
    def __init__(self, agencies: dict[str, Agency], repository: RuleSetRepository,
                 calendar: Calendar):
        self.agencies = agencies
        self.repository = repository
        self.calendar = calendar

    @classmethod
    def from_config(cls, config: dict) -> Rules:
        rulesets_dir = config.get("RULESETS_DIR") or None
        repository = (RuleSetRepository([rulesets_dir]) if rulesets_dir
                      else RuleSetRepository.default())
        files = [f for f in str(config.get("CALENDAR_FILES") or "").split(",") if f.strip()]
        calendar = Calendar.load(files)
        agencies = {}
        for code, spec in configured(config).items():
            if not isinstance(spec, dict) or "ruleset" not in spec:
                raise ConfigurationError(f"AGENCIES.{code}: needs name and ruleset",
                                         message_zh=f"AGENCIES.{code}：须有 name 和 ruleset")
            agencies[code] = Agency(code, spec.get("name", code),
                                    repository.get(str(spec["ruleset"])))
        if not agencies:
            raise ConfigurationError("AGENCIES is empty: configure at least one agency",
                                     message_zh="AGENCIES 为空：请至少配置一个执法机关")
        return cls(agencies, repository, calendar)

    def agency(self, code: str) -> Agency:
        try:
            return self.agencies[code]
        except KeyError:
            raise NotFound(f"agency {code!r} is not served by this deployment; "
                           f"known: {', '.join(sorted(self.agencies))}",
                           details={"agency": code},
                           message_zh=f"本部署不服务执法机关 {code!r}；已知："
                                      f"{'、'.join(sorted(self.agencies))}") from None

    def ruleset(self, ref: str) -> RuleSet:
        """The exact rule set a past fact was made under (id@version)."""
        return self.repository.get(ref)

    def refs(self) -> list[str]:
        return sorted({a.ruleset.ref for a in self.agencies.values()})


class RulesProvider(DependencyProvider):
    def setup(self) -> None:
        self.rules = Rules.from_config(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> Rules:
        return self.rules


def situation_codes() -> frozenset[str]:
    """The shared vocabulary of situations (what may make audio/video recording mandatory)."""
    from shared.rulesets.vocabulary import AV_SITUATIONS
    return frozenset(AV_SITUATIONS)


def opinion_types(rs: RuleSet) -> dict[str, bool]:
    """Opinion code → whether it approves, per the rule set's review section."""
    review = rs.section("review")
    approving = set(review["approving_opinions"])
    return {o["code"]: o["code"] in approving for o in review["opinion_types"]}


def retention_classes(rs: RuleSet, facts: set[str]) -> list[dict]:
    """Retention classes that apply: unconditional ones plus those whose condition holds."""
    out = []
    for cls in rs.section("retention")["classes"]:
        if not cls["conditions"] or facts & set(cls["conditions"]):
            out.append({k: cls[k] for k in ("code", "label", "applies_to", "years", "permanent",
                                             "basis") if k in cls})
    return out


def codes(rs: RuleSet, section: str, key: str) -> list[str]:
    return [item["code"] for item in rs.section(section)[key]]
