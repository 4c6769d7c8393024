"""Who is calling: actors are identified by a signed token carried in the nameko context
(header `nameko.actor_token`). A token is a standard JWT (RFC 7519) signed with EdDSA
(Ed25519, RFC 8037) by the deployment's token issuer; services hold only the issuer's public
keys (shared.trust.keys), chosen by the token's `kid` header. Claims:

    iss     "sanxiang" (or the issuer named in config TOKEN_ISSUER)
    sub     actor id (1..64 characters)
    role    one of shared.contracts.registry.ROLES
    agency  the agency code the actor acts for
    name    display name (may be empty)
    party   for role "party": the party id within the case
    case    for role "party": the case the token is bound to
    iat     issued at, exp  expiry (seconds since the epoch)

A party token must name both `party` and `case`: party ids are labels chosen per case, so
only the case makes one mean a particular citizen. Any language with a JWT library (or Ed25519
alone) can mint one: see README, "Actor tokens" (docs/tokens/mint-token.mjs).
Every entrypoint checks the actor's role and agency (shared.service.entrypoint.handle)."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt
from nameko.extensions import DependencyProvider

from shared.contracts.bounds import printable
from shared.contracts.registry import ROLES
from shared.errors import ConfigurationError, Forbidden, Unauthenticated
from shared.trust.keys import KeyStore, SigningKey

CONTEXT_KEY = "actor_token"
ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "sanxiang"
REQUIRED_CLAIMS = ("iss", "sub", "role", "agency", "iat", "exp")
# the clocks of the issuer and the service may differ a little
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    agency: str
    name: str = ""
    party_id: str | None = None  # for role "party": which party of a case this citizen is
    case_id: str | None = None   # for role "party": the case the token is bound to
    expires: int = 0
    # False only for what a refused token claimed (CallerToken.claimed): recorded, never trusted
    verified: bool = True

    def ref(self) -> dict:
        return {"id": self.id, "role": self.role, "name": self.name or None}

    def require(self, *roles: str, agency: str | None = None) -> Actor:
        """Raise Forbidden unless (if given) the agency matches and (if given) the role is one
        of `roles`. The agency is judged first: for something of another agency the refusal is
        `out_of_reach` whatever the role, so the answer cannot depend on what that agency
        holds. The roles a contract declares for an RPC are judged before the use case runs
        (shared.service.entrypoint.handle); a use case names `roles` only where it narrows
        them, and otherwise judges the agency alone."""
        if agency is not None and self.role != "supervisor" and self.agency != agency:
            raise out_of_reach(f"actor of agency {self.agency!r} may not act for agency "
                               f"{agency!r}", details={"actor_agency": self.agency,
                                                       "agency": agency},
                               message_zh=f"执法机关 {self.agency!r} 的人员不得代执法机关 "
                                          f"{agency!r} 办理")
        if roles and self.role not in roles:
            raise Forbidden(f"role {self.role!r} may not do this; allowed: {', '.join(roles)}",
                            message_zh=f"角色 {self.role!r} 无权执行此操作；可执行的角色："
                                       f"{'、'.join(roles)}",
                            details={"role": self.role, "allowed": list(roles)})
        return self


def out_of_reach(message: str, *, message_zh: str | None = None, **kwargs) -> Forbidden:
    """A refusal about something outside the caller's reach (another agency's case, a case a
    party token is not bound to). It is recorded as the refusal it is, but the caller is
    answered as if the thing did not exist (shared.service.entrypoint.handle, `missing`): a
    forbidden here and a not_found for a missing id would tell an outsider which ids exist."""
    exc = Forbidden(message, message_zh=message_zh, **kwargs)
    exc.out_of_reach = True
    return exc


class TokenIssuer:
    """Mints actor tokens with the issuer's private key (never held by a service)."""

    def __init__(self, key: SigningKey, issuer: str = DEFAULT_ISSUER):
        self._key = key
        self.issuer = issuer

    def issue(self, *, actor_id: str, role: str, agency: str, name: str = "",
              party_id: str | None = None, case_id: str | None = None,
              ttl_seconds: int = 8 * 3600, now: float | None = None) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        if not actor_id or len(actor_id) > 64:
            raise ValueError("actor id must be 1 to 64 characters")
        if ttl_seconds <= 0:
            raise ValueError("ttl must be positive")
        if role == "party" and not (party_id and case_id):
            # party ids are per-case labels: only the case makes one a particular citizen
            raise ValueError("a party token needs its party id and its case id "
                             "(--party-id, --case-id)")
        issued = int(now if now is not None else time.time())
        claims = {"iss": self.issuer, "sub": actor_id, "role": role, "agency": agency,
                  "name": name, "iat": issued, "exp": issued + ttl_seconds}
        if party_id:
            claims["party"] = party_id
        if case_id:
            claims["case"] = case_id
        return jwt.encode(claims, self._key.key, algorithm=ALGORITHM,
                          headers={"kid": self._key.kid, "typ": "JWT"})


class TokenVerifier:
    """Verifies actor tokens against the issuer's public keys. Verified tokens are remembered
    (until they expire) so a caller's every request does not cost an Ed25519 verification."""

    cache_size = 4096

    def __init__(self, public_keys: dict, issuer: str = DEFAULT_ISSUER):
        if not public_keys:
            raise ConfigurationError("no token verification keys (public/token/*.pem): create "
                                     "them with `sanxiang keys init`",
                                     message_zh="没有身份凭证验证密钥（public/token/*.pem）："
                                                "请用 `sanxiang keys init` 生成")
        self._keys = dict(public_keys)
        self.issuer = issuer
        self._cache: OrderedDict[str, Actor] = OrderedDict()

    @classmethod
    def from_config(cls, config: dict) -> TokenVerifier:
        return cls(KeyStore.from_config(config).token_verification_keys(),
                   str(config.get("TOKEN_ISSUER") or DEFAULT_ISSUER))

    def verify(self, token: str | None, *, now: float | None = None) -> Actor:
        if not token:
            raise Unauthenticated("no actor token in the call context (header nameko.actor_token)",
                                  message_zh="调用上下文中没有身份凭证（nameko.actor_token 头）",
                                  details={"reason": "missing"})
        if not isinstance(token, str):
            raise Unauthenticated("actor token rejected: not a string",
                                  message_zh="身份凭证无效：不是字符串",
                                  details={"reason": "malformed"})
        now = time.time() if now is None else now
        actor = self._cache.get(token)
        if actor is not None:
            if actor.expires + LEEWAY_SECONDS >= now:
                self._cache.move_to_end(token)
                return actor
            del self._cache[token]
            raise Unauthenticated("actor token expired", details={"reason": "expired"},
                                  message_zh="身份凭证已过期")
        actor = self._decode(token, now)
        self._cache[token] = actor
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return actor

    def _decode(self, token: str, now: float) -> Actor:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"actor token rejected: {exc}",
                                  message_zh=f"身份凭证格式无效：{exc}",
                                  details={"reason": "malformed"}) from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated(f"actor token rejected: algorithm {header.get('alg')!r} is not "
                                  f"{ALGORITHM}", details={"reason": "algorithm"},
                                  message_zh=f"身份凭证无效：签名算法 {header.get('alg')!r} "
                                             f"不是 {ALGORITHM}")
        key = self._keys.get(header.get("kid"))
        if key is None:
            raise Unauthenticated(f"actor token rejected: unknown key id {header.get('kid')!r}",
                                  message_zh=f"身份凭证无效：未知的密钥编号 {header.get('kid')!r}",
                                  details={"reason": "unknown_key"})
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=self.issuer,
                                leeway=LEEWAY_SECONDS,
                                options={"require": list(REQUIRED_CLAIMS)})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("actor token expired", details={"reason": "expired"},
                                  message_zh="身份凭证已过期") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("actor token rejected: bad signature",
                                  message_zh="身份凭证无效：签名验证未通过",
                                  details={"reason": "bad_signature"}) from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"actor token rejected: {exc}",
                                  message_zh=f"身份凭证声明无效：{exc}",
                                  details={"reason": "invalid_claims"}) from None
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthenticated(f"actor token names unknown role {role!r}",
                                  message_zh=f"身份凭证所称角色 {role!r} 未知",
                                  details={"reason": "invalid_claims"})
        bound = ("party", "case") if role == "party" else ()
        for claim in ("sub", "agency", *bound):
            if not isinstance(claims.get(claim), str) or not claims[claim]:
                raise Unauthenticated(f"actor token claim {claim!r} must be a non-empty string"
                                      + (" (a party token is bound to its party and its case)"
                                         if claim in bound else ""),
                                      message_zh=f"身份凭证的声明 {claim!r} 应为非空字符串"
                                      + ("（当事人凭证须绑定其当事人和案件）"
                                         if claim in bound else ""),
                                      details={"reason": "invalid_claims"})
        return Actor(id=claims["sub"], role=role, agency=claims["agency"],
                     name=claims.get("name") or "", party_id=claims.get("party"),
                     case_id=claims.get("case"), expires=int(claims["exp"]))


def unverified_claims(token) -> dict:
    """What a token claims, unverified — only for recording who a refused caller said they
    were. Never for a decision."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except Exception:
        return {}
    return claims if isinstance(claims, dict) else {}


# what of a refused token is recorded, each value cut to a length the logs can hold
_CLAIMED_HEADER = ("kid", "alg")
_CLAIMED = ("sub", "role", "agency", "party", "case", "iss", "exp")
_CLAIM_LENGTH = 64


def claimed(token) -> dict:
    """The identity a token claims, unverified, as short strings (header `kid`, `alg` and the
    claims that say who the caller is) — only to record who a refused caller said they were."""
    out: dict = {}
    if not isinstance(token, str) or not token:
        return out
    try:
        header = jwt.get_unverified_header(token)
    except Exception:
        header = {}
    for source, keys in ((header, _CLAIMED_HEADER), (unverified_claims(token), _CLAIMED)):
        for key in keys:
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out[key] = printable(str(value), _CLAIM_LENGTH)
    return out


class CallerToken:
    """The token of one call: calling it verifies it and returns the Actor (raising
    Unauthenticated when it is missing or bad); `claimed()` is who a refused token said it
    was, as an unverified Actor for the refusal log."""

    def __init__(self, verifier: TokenVerifier, token):
        self._verifier = verifier
        self.token = token

    def __call__(self) -> Actor:
        return self._verifier.verify(self.token)

    def claims(self) -> dict:
        return claimed(self.token)

    def claimed(self) -> Actor:
        said = self.claims()
        return Actor(id=said.get("sub", ""), role=UNVERIFIED, agency=said.get("agency", ""),
                     party_id=said.get("party"), case_id=said.get("case"), verified=False)


# the role recorded for a caller whose token was refused: its claims are not an identity
UNVERIFIED = "unverified"


class ActorProvider(DependencyProvider):
    """Injects the call's CallerToken, so open entrypoints like `health` never touch it and
    shared.service.entrypoint.handle can record a refused token."""

    def setup(self):
        self.verifier = TokenVerifier.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return CallerToken(self.verifier, worker_ctx.data.get(CONTEXT_KEY))
