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
Every entrypoint checks the actor's role and agency (shared.service.entrypoint.handle).

A service calling another with no person behind the call (an event it handles, a timer) is a
caller of its own: it mints a service token per call (ServiceIdentity) with its caller key
(private/<service>/caller.ed25519.pem; verified against public/caller/<service>/), in the
same format, with claims

    iss     "service:<name>"       sub   <name>        role  "service"
    agency  the one agency the call acts for            aud   the service called
    iat, exp                       at most SERVICE_TOKEN_MAX_SECONDS apart

A service key cannot mint a person's role, and the issuer's key cannot mint a service: each
kind is verified only against its own keys and refused (and recorded) otherwise. A contract
grants a method to a service by name ("service:<name>" in its roles)."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, replace

import jwt
from nameko.extensions import DependencyProvider

from shared.contracts.bounds import printable
from shared.contracts.registry import ROLES, SERVICE_GRANT, SERVICE_ROLE
from shared.errors import ConfigurationError, Forbidden, Unauthenticated
from shared.trust.keys import KeyStore, SigningKey

CONTEXT_KEY = "actor_token"
ALGORITHM = "EdDSA"
DEFAULT_ISSUER = "sanxiang"
REQUIRED_CLAIMS = ("iss", "sub", "role", "agency", "iat", "exp")
# the clocks of the issuer and the service may differ a little
LEEWAY_SECONDS = 30
# a service token is minted per call: it lives no longer than this (exp - iat)
SERVICE_TOKEN_MAX_SECONDS = 300
SERVICE_ISSUER_PREFIX = "service:"


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
    # a service admitted to this call by a contract's grant "service:<id>" (Rpc.admit)
    granted: bool = False

    def ref(self) -> dict:
        return {"id": self.id, "role": self.role, "name": self.name or None}

    @property
    def service(self) -> bool:
        """A service acting as itself (its id is the service's name), not a person."""
        return self.role == SERVICE_ROLE

    @property
    def principal(self) -> str:
        """What a contract's roles name this caller by: its role, or "service:<id>"."""
        return f"{SERVICE_ISSUER_PREFIX}{self.id}" if self.service else self.role

    def admitted(self, roles: tuple[str, ...]) -> Actor:
        """This caller as a method declaring `roles` admits it (shared.contracts.registry
        Rpc.admit), or Forbidden: "any" admits every verified caller; a person by role; a
        service only by its grant "service:<id>" — returned marked `granted`."""
        if "any" in roles:
            return self
        if not self.service:
            return self.require(*roles)
        if self.principal not in roles:
            raise self._refused(roles)
        return replace(self, granted=True)

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
        if roles and not self._may(roles):
            raise self._refused(roles)
        return self

    def _may(self, roles: tuple[str, ...]) -> bool:
        if not self.service:
            return self.role in roles
        if self.principal in roles:
            return True
        # A use case narrows among people's roles; a service the contract granted this call
        # is held to its grant alone — unless the use case names services itself.
        return self.granted and not any(SERVICE_GRANT.match(r) for r in roles)

    def _refused(self, roles: tuple[str, ...]) -> Forbidden:
        if self.service:
            return Forbidden(f"service {self.id!r} may not do this; allowed: {', '.join(roles)}",
                             message_zh=f"服务 {self.id!r} 未获授权执行此操作；可执行的角色或服务："
                                        f"{'、'.join(roles)}",
                             details={"role": self.principal, "allowed": list(roles)})
        return Forbidden(f"role {self.role!r} may not do this; allowed: {', '.join(roles)}",
                         message_zh=f"角色 {self.role!r} 无权执行此操作；可执行的角色："
                                    f"{'、'.join(roles)}",
                         details={"role": self.role, "allowed": list(roles)})


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
    """Verifies actor tokens: a person's against the issuer's public keys, a service's
    (issuer "service:<name>") against that service's caller keys (public/caller/<name>/) —
    and, where `audience` is given, only a service token addressed to it. Verified tokens are
    remembered (until they expire) so a caller's every request does not cost an Ed25519
    verification."""

    cache_size = 4096

    def __init__(self, public_keys: dict, issuer: str = DEFAULT_ISSUER, *,
                 service_keys: dict[str, dict] | None = None, audience: str | None = None):
        if not public_keys:
            raise ConfigurationError("no token verification keys (public/token/*.pem): create "
                                     "them with `sanxiang keys init`",
                                     message_zh="没有身份凭证验证密钥（public/token/*.pem）："
                                                "请用 `sanxiang keys init` 生成")
        self._keys = dict(public_keys)
        self._service_keys = {name: dict(keys) for name, keys in (service_keys or {}).items()}
        self.issuer = issuer
        self.audience = audience
        self._cache: OrderedDict[str, Actor] = OrderedDict()

    @classmethod
    def from_config(cls, config: dict, audience: str | None = None) -> TokenVerifier:
        store = KeyStore.from_config(config)
        return cls(store.token_verification_keys(),
                   str(config.get("TOKEN_ISSUER") or DEFAULT_ISSUER),
                   service_keys=store.caller_verification_keys(), audience=audience)

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
        said = unverified_claims(token).get("iss")
        if isinstance(said, str) and said.startswith(SERVICE_ISSUER_PREFIX):
            return self._service(token, header, said, now)
        return self._person(token, header, now)

    def _person(self, token: str, header: dict, now: float) -> Actor:
        key = self._keys.get(header.get("kid"))
        if key is None:
            raise Unauthenticated(f"actor token rejected: unknown key id {header.get('kid')!r}",
                                  message_zh=f"身份凭证无效：未知的密钥编号 {header.get('kid')!r}",
                                  details={"reason": "unknown_key"})
        claims = _checked_claims(token, key, self.issuer, now)
        role = claims.get("role")
        if role == SERVICE_ROLE:
            raise Unauthenticated("actor token rejected: the token issuer does not mint service "
                                  "tokens (a service signs its own, issuer \"service:<name>\")",
                                  message_zh="身份凭证无效：身份凭证签发方不得签发服务凭证"
                                             "（服务凭证由服务以自己的调用密钥签发）",
                                  details={"reason": "invalid_claims"})
        if role not in ROLES:
            raise Unauthenticated(f"actor token names unknown role {role!r}",
                                  message_zh=f"身份凭证所称角色 {role!r} 未知",
                                  details={"reason": "invalid_claims"})
        bound = ("party", "case") if role == "party" else ()
        for claim in ("sub", "agency", *bound):
            _non_empty(claims, claim, bound)
        return Actor(id=claims["sub"], role=role, agency=claims["agency"],
                     name=claims.get("name") or "", party_id=claims.get("party"),
                     case_id=claims.get("case"), expires=int(claims["exp"]))

    def _service(self, token: str, header: dict, issuer: str, now: float) -> Actor:
        name = issuer[len(SERVICE_ISSUER_PREFIX):]
        key = self._service_keys.get(name, {}).get(header.get("kid"))
        if key is None:
            raise Unauthenticated(f"service token rejected: {header.get('kid')!r} is no caller "
                                  f"key of service {name!r} (public/caller/{name}/)",
                                  message_zh=f"服务凭证无效：{header.get('kid')!r} 不是服务 "
                                             f"{name!r} 的调用密钥（public/caller/{name}/）",
                                  details={"reason": "unknown_key"})
        claims = _checked_claims(token, key, issuer, now, audience=self.audience)
        if claims.get("role") != SERVICE_ROLE:
            raise Unauthenticated(f"service token rejected: service {name!r} claims role "
                                  f"{claims.get('role')!r}; a service key mints only role "
                                  f"{SERVICE_ROLE!r}",
                                  message_zh=f"服务凭证无效：服务 {name!r} 自称角色 "
                                             f"{claims.get('role')!r}；服务密钥只能签发 "
                                             f"{SERVICE_ROLE!r} 角色",
                                  details={"reason": "invalid_claims"})
        if claims.get("sub") != name:
            raise Unauthenticated(f"service token rejected: subject {claims.get('sub')!r} is not "
                                  f"the issuing service {name!r}",
                                  message_zh=f"服务凭证无效：主体 {claims.get('sub')!r} "
                                             f"不是签发它的服务 {name!r}",
                                  details={"reason": "invalid_claims"})
        _non_empty(claims, "agency", ())
        if int(claims["exp"]) - int(claims["iat"]) > SERVICE_TOKEN_MAX_SECONDS:
            raise Unauthenticated(f"service token rejected: it lives "
                                  f"{int(claims['exp']) - int(claims['iat'])} s; a service token "
                                  f"lives at most {SERVICE_TOKEN_MAX_SECONDS} s",
                                  message_zh=f"服务凭证无效：有效期超过 "
                                             f"{SERVICE_TOKEN_MAX_SECONDS} 秒",
                                  details={"reason": "invalid_claims"})
        return Actor(id=name, role=SERVICE_ROLE, agency=claims["agency"],
                     name=claims.get("name") or "", expires=int(claims["exp"]))


def _checked_claims(token: str, key, issuer: str, now: float,
                    audience: str | None = None) -> dict:
    """The token's claims, its signature, issuer, times (and audience, where given) checked."""
    required = list(REQUIRED_CLAIMS) + (["aud"] if audience else [])
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=issuer,
                            audience=audience, leeway=LEEWAY_SECONDS,
                            options={"require": required})
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
    return claims


def _non_empty(claims: dict, claim: str, bound: tuple[str, ...]) -> None:
    if not isinstance(claims.get(claim), str) or not claims[claim]:
        raise Unauthenticated(f"actor token claim {claim!r} must be a non-empty string"
                              + (" (a party token is bound to its party and its case)"
                                 if claim in bound else ""),
                              message_zh=f"身份凭证的声明 {claim!r} 应为非空字符串"
                              + ("（当事人凭证须绑定其当事人和案件）"
                                 if claim in bound else ""),
                              details={"reason": "invalid_claims"})


class ServiceIdentity:
    """A service calling another as itself: one short-lived token per call, signed with the
    service's caller key (shared.trust.keys.KeyStore.caller_key), bound to one agency and
    addressed to the service called."""

    ttl_seconds = 60

    def __init__(self, key: SigningKey, service: str):
        if not SERVICE_GRANT.match(f"{SERVICE_ISSUER_PREFIX}{service}"):
            raise ValueError(f"{service!r} is not a service name")
        self._key = key
        self.service = service

    @classmethod
    def from_config(cls, config: dict, service: str) -> ServiceIdentity:
        return cls(KeyStore.from_config(config).caller_key(service), service)

    def token(self, *, agency: str, audience: str, ttl_seconds: int | None = None,
              now: float | None = None) -> str:
        ttl = self.ttl_seconds if ttl_seconds is None else ttl_seconds
        if not 0 < ttl <= SERVICE_TOKEN_MAX_SECONDS:
            raise ValueError(f"a service token lives 1 to {SERVICE_TOKEN_MAX_SECONDS} s")
        if not agency or not isinstance(agency, str):
            raise ValueError("a service token acts for one agency")
        issued = int(now if now is not None else time.time())
        claims = {"iss": f"{SERVICE_ISSUER_PREFIX}{self.service}", "sub": self.service,
                  "role": SERVICE_ROLE, "agency": agency, "aud": audience, "iat": issued,
                  "exp": issued + ttl}
        return jwt.encode(claims, self._key.key, algorithm=ALGORITHM,
                          headers={"kid": self._key.kid, "typ": "JWT"})


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
_CLAIMED = ("sub", "role", "agency", "party", "case", "iss", "aud", "exp")
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
        self.verifier = TokenVerifier.from_config(self.container.config,
                                                  audience=self.container.service_name)

    def get_dependency(self, worker_ctx):
        return CallerToken(self.verifier, worker_ctx.data.get(CONTEXT_KEY))
