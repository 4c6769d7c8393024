"""Who is calling: actors are identified by a signed token carried in the nameko context
(header `nameko.actor_token`). Tokens are HMAC-SHA256 over a compact JSON claim set, keyed by
the deployment's token key; every entrypoint checks the actor's role and agency."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from nameko.extensions import DependencyProvider

from shared.contracts import ROLES
from shared.errors import Forbidden, Unauthenticated
from shared.keys import KeyStore

CONTEXT_KEY = "actor_token"


@dataclass(frozen=True)
class Actor:
    id: str
    role: str
    agency: str
    name: str = ""
    party_id: str | None = None  # for role "party": which party of a case this citizen is
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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenSigner:
    def __init__(self, key: bytes):
        self._key = key

    def issue(self, *, actor_id: str, role: str, agency: str, name: str = "",
              party_id: str | None = None, ttl_seconds: int = 8 * 3600) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        claims = {"sub": actor_id, "role": role, "agency": agency, "name": name,
                  "exp": int(time.time()) + ttl_seconds}
        if party_id:
            claims["party"] = party_id
        body = _b64(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
        return f"{body}.{_b64(self._sign(body))}"

    def verify(self, token: str | None) -> Actor:
        if not token:
            raise Unauthenticated("no actor token in the call context (header nameko.actor_token)")
        try:
            body, sig = token.split(".")
            if not hmac.compare_digest(_unb64(sig), self._sign(body)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(body))
        except (ValueError, json.JSONDecodeError) as exc:
            raise Unauthenticated(f"actor token rejected: {exc}") from None
        if claims.get("exp", 0) < time.time():
            raise Unauthenticated("actor token expired")
        if claims.get("role") not in ROLES:
            raise Unauthenticated(f"actor token names unknown role {claims.get('role')!r}")
        return Actor(id=claims["sub"], role=claims["role"], agency=claims["agency"],
                     name=claims.get("name", ""), party_id=claims.get("party"),
                     expires=claims["exp"])

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode(), hashlib.sha256).digest()


class ActorProvider(DependencyProvider):
    """Injects a callable returning the verified Actor of the current call (raising
    Unauthenticated when the token is missing or bad), so open entrypoints like `health`
    never touch it."""

    def setup(self):
        self.signer = TokenSigner(KeyStore.from_config(self.container.config).token_key())

    def get_dependency(self, worker_ctx):
        token = worker_ctx.data.get(CONTEXT_KEY)
        return lambda: self.signer.verify(token)
