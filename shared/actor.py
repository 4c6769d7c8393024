"""Who is calling: actors are identified by a signed token carried in the nameko context
(header `nameko.actor_token`). A token is a standard JWT (RFC 7519) signed with EdDSA
(Ed25519, RFC 8037) by the deployment's token issuer; services hold only the issuer's public
keys (shared.keys), chosen by the token's `kid` header. Claims:

    iss     "sanxiang" (or the issuer named in config TOKEN_ISSUER)
    sub     actor id (1..64 characters)
    role    one of shared.contracts.ROLES
    agency  the agency code the actor acts for
    name    display name (may be empty)
    party   for role "party": the party id within the case
    case    for role "party": the case the token is bound to
    iat     issued at, exp  expiry (seconds since the epoch)

Any language with a JWT library (or Ed25519 alone) can mint one: see README, "Actor tokens".
Every entrypoint checks the actor's role and agency."""
from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt
from nameko.extensions import DependencyProvider

from shared.contracts import ROLES
from shared.errors import ConfigurationError, Forbidden, Unauthenticated
from shared.keys import KeyStore, SigningKey

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

    def ref(self) -> dict:
        return {"id": self.id, "role": self.role, "name": self.name or None}

    def require(self, *roles: str, agency: str | None = None) -> "Actor":
        """Raise Forbidden unless the role is one of `roles` and (if given) the agency matches."""
        if self.role not in roles:
            raise Forbidden(f"role {self.role!r} may not do this; allowed: {', '.join(roles)}",
                            details={"role": self.role, "allowed": list(roles)})
        if agency is not None and self.role != "supervisor" and self.agency != agency:
            raise Forbidden(f"actor of agency {self.agency!r} may not act for agency {agency!r}",
                            details={"actor_agency": self.agency, "agency": agency})
        return self


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
                                     "them with `sanxiang keys init`")
        self._keys = dict(public_keys)
        self.issuer = issuer
        self._cache: OrderedDict[str, Actor] = OrderedDict()

    @classmethod
    def from_config(cls, config: dict) -> "TokenVerifier":
        return cls(KeyStore.from_config(config).token_verification_keys(),
                   str(config.get("TOKEN_ISSUER") or DEFAULT_ISSUER))

    def verify(self, token: str | None, *, now: float | None = None) -> Actor:
        if not token:
            raise Unauthenticated("no actor token in the call context (header nameko.actor_token)",
                                  details={"reason": "missing"})
        if not isinstance(token, str):
            raise Unauthenticated("actor token rejected: not a string",
                                  details={"reason": "malformed"})
        now = time.time() if now is None else now
        actor = self._cache.get(token)
        if actor is not None:
            if actor.expires + LEEWAY_SECONDS >= now:
                self._cache.move_to_end(token)
                return actor
            del self._cache[token]
            raise Unauthenticated("actor token expired", details={"reason": "expired"})
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
                                  details={"reason": "malformed"}) from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated(f"actor token rejected: algorithm {header.get('alg')!r} is not "
                                  f"{ALGORITHM}", details={"reason": "algorithm"})
        key = self._keys.get(header.get("kid"))
        if key is None:
            raise Unauthenticated(f"actor token rejected: unknown key id {header.get('kid')!r}",
                                  details={"reason": "unknown_key"})
        try:
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=self.issuer,
                                leeway=LEEWAY_SECONDS,
                                options={"require": list(REQUIRED_CLAIMS)})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("actor token expired", details={"reason": "expired"}) from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("actor token rejected: bad signature",
                                  details={"reason": "bad_signature"}) from None
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated(f"actor token rejected: {exc}",
                                  details={"reason": "invalid_claims"}) from None
        role = claims.get("role")
        if role not in ROLES:
            raise Unauthenticated(f"actor token names unknown role {role!r}",
                                  details={"reason": "invalid_claims"})
        for claim in ("sub", "agency"):
            if not isinstance(claims.get(claim), str) or not claims[claim]:
                raise Unauthenticated(f"actor token claim {claim!r} must be a non-empty string",
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


class ActorProvider(DependencyProvider):
    """Injects a callable returning the verified Actor of the current call (raising
    Unauthenticated when the token is missing or bad), so open entrypoints like `health`
    never touch it."""

    def setup(self):
        self.verifier = TokenVerifier.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        token = worker_ctx.data.get(CONTEXT_KEY)
        return lambda: self.verifier.verify(token)
