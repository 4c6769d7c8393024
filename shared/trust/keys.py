"""Key material of a deployment, under one root folder (config KEYS_DIR, env SANXIANG_KEYS):

    public/token/<kid>.pem                  verify actor tokens (JWT, EdDSA)
    public/events/<service>/<kid>.pem       verify the events <service> signs
    public/checkpoint/<service>/<kid>.pem   verify the chain checkpoints <service> signs
    private/<service>/events.ed25519.pem    <service>'s event-signing key
    public/caller/<service>/<kid>.pem       verify the service tokens <service> mints
    private/<service>/events.ed25519.pem    <service>'s event-signing key
    private/<service>/checkpoint.ed25519.pem  its checkpoint-signing key (the record keeper)
    private/<service>/caller.ed25519.pem    its caller key: the service tokens it mints to call
                                            a peer as itself (shared.trust.actor.ServiceIdentity)
    private/issuer/token.ed25519.pem        the token issuer's key: mounted into no service

Verification keys go to every service; a private key lives only where it signs (compose mounts
`public/` read-only and `private/<service>/` alone into each service). Keys are made only by
`sanxiang keys init` (init_deployment), which never overwrites: a service or command that finds
a key missing fails with ConfigurationError naming the file and that command, so nobody silently
mints a key whose signatures no peer accepts. kid: the first 16 hex digits of the SHA-256 of the
raw public key; several public keys per signer may be present while keys are rotated."""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import ConfigurationError

DEFAULT_ROOT = "data/keys"
ISSUER = "issuer"
# the signer kinds a service may hold (private/<service>/<kind>.ed25519.pem)
EVENTS, CHECKPOINT, CALLER = "events", "checkpoint", "caller"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
INIT_HINT = "create the deployment's keys with `sanxiang keys init --keys {root}`"
INIT_HINT_ZH = "请用 `sanxiang keys init --keys {root}` 生成本部署的密钥"


@dataclass(frozen=True)
class SigningKey:
    """A private key with the id its public half is published under."""
    key: Ed25519PrivateKey
    kid: str
    signer: str  # the service (or "issuer") that holds it

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)


class KeyStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    @classmethod
    def from_config(cls, config: dict) -> KeyStore:
        return cls(config.get("KEYS_DIR") or DEFAULT_ROOT)

    # -- private keys: only the signer's own folder -------------------------------------------

    def event_signing_key(self, service: str) -> SigningKey:
        return self._private(_checked(service), EVENTS)

    def checkpoint_key(self, service: str) -> SigningKey:
        return self._private(_checked(service), CHECKPOINT)

    def caller_key(self, service: str) -> SigningKey:
        return self._private(_checked(service), CALLER)

    def token_issuer_key(self) -> SigningKey:
        return self._private(ISSUER, "token")

    # -- public keys: distributed to every service ----------------------------------------------

    def token_verification_keys(self) -> dict[str, Ed25519PublicKey]:
        return self._public(self.root / "public" / "token")

    def event_verification_keys(self, service: str) -> dict[str, Ed25519PublicKey]:
        return self._public(self.root / "public" / EVENTS / _checked(service))

    def checkpoint_verification_keys(self, service: str) -> dict[str, Ed25519PublicKey]:
        return self._public(self.root / "public" / CHECKPOINT / _checked(service))

    def caller_verification_keys(self) -> dict[str, dict[str, Ed25519PublicKey]]:
        """Per service that calls as itself (a folder public/caller/<service>/), its keys."""
        folder = self.root / "public" / CALLER
        if not folder.is_dir():
            return {}
        return {path.name: self._public(path) for path in sorted(folder.iterdir())
                if path.is_dir() and _NAME.match(path.name)}

    # -- internals ------------------------------------------------------------------------------

    def private_path(self, signer: str, kind: str) -> Path:
        return self.root / "private" / signer / f"{kind}.ed25519.pem"

    def _private(self, signer: str, kind: str) -> SigningKey:
        path = self.private_path(signer, kind)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigurationError(
                f"{path}: no {kind} signing key for {signer}; "
                + INIT_HINT.format(root=self.root),
                message_zh=f"{path}：没有 {signer} 的 {kind} 签名密钥；"
                + INIT_HINT_ZH.format(root=self.root)) from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except ValueError as exc:
            raise ConfigurationError(f"{path}: not a PEM private key ({exc})",
                                     message_zh=f"{path}：不是 PEM 私钥（{exc}）") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"{path}: not an Ed25519 private key",
                                     message_zh=f"{path}：不是 Ed25519 私钥")
        return SigningKey(key, key_id(key.public_key()), signer)

    def _public(self, folder: Path) -> dict[str, Ed25519PublicKey]:
        keys: dict[str, Ed25519PublicKey] = {}
        for path in sorted(folder.glob("*.pem")) if folder.is_dir() else ():
            try:
                key = serialization.load_pem_public_key(path.read_bytes())
            except ValueError as exc:
                raise ConfigurationError(f"{path}: not a PEM public key ({exc})",
                                         message_zh=f"{path}：不是 PEM 公钥（{exc}）") from None
            if not isinstance(key, Ed25519PublicKey):
                raise ConfigurationError(f"{path}: not an Ed25519 public key",
                                         message_zh=f"{path}：不是 Ed25519 公钥")
            kid = key_id(key)
            if path.stem != kid:
                # the file name is what an operator sees; it must not lie about the key
                raise ConfigurationError(f"{path}: named {path.stem} but holds key {kid}",
                                         message_zh=f"{path}：文件名为 {path.stem}，"
                                                    f"所存却是密钥 {kid}")
            keys[kid] = key
        return keys


def _checked(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ConfigurationError(f"{name!r} is not a service name",
                                 message_zh=f"{name!r} 不是服务名")
    return name


def init_deployment(root: str | os.PathLike, services: Iterable[str], *,
                    checkpoint_signers: Iterable[str] = (), callers: Iterable[str] = (),
                    issuer: bool = True) -> list[Path]:
    """Create whatever keys of the deployment are missing; never overwrite one. Each service
    gets an event-signing key, each of `checkpoint_signers` a checkpoint key, each of
    `callers` (services that call a peer as themselves) a caller key, and (with `issuer`) the
    token issuer its key; every public half goes under public/. Returns the files written.
    Private files are owner-only; the folders too."""
    store = KeyStore(root)
    wanted = [(s, EVENTS) for s in map(_checked, services)]
    wanted += [(s, CHECKPOINT) for s in map(_checked, checkpoint_signers)]
    wanted += [(s, CALLER) for s in map(_checked, callers)]
    if issuer:
        wanted.append((ISSUER, "token"))
    written: list[Path] = []
    for signer, kind in wanted:
        path = store.private_path(signer, kind)
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            if _create(path, pem, 0o600):
                written.append(path)
        key = store._private(signer, kind).key.public_key()
        folder = (store.root / "public" / "token" if signer == ISSUER
                  else store.root / "public" / kind / signer)
        public = folder / f"{key_id(key)}.pem"
        if not public.exists() and _create(public, public_key_pem(key).encode(), 0o644):
            written.append(public)
    return written


def _create(path: Path, data: bytes, mode: int) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if mode == 0o600 else 0o755)
    # O_EXCL: two inits running together must not overwrite each other's new key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return True


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
