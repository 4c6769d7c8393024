"""Key material of a deployment, kept in one folder (KEYS_DIR): the HMAC key that signs actor
tokens and the Ed25519 key that signs chain checkpoints. Missing keys are generated on first
use with owner-only permissions; production mounts the folder from a secret store."""
from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.errors import ConfigurationError


class KeyStore:
    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    @classmethod
    def from_config(cls, config: dict) -> "KeyStore":
        return cls(config.get("KEYS_DIR") or "data/keys")

    def _path(self, name: str) -> Path:
        return self.folder / name

    def _create(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two services starting together must not overwrite each other's new key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def token_key(self) -> bytes:
        path = self._path("token.key")
        if not path.exists():
            self._create(path, base64.b64encode(os.urandom(32)) + b"\n")
        key = base64.b64decode(path.read_bytes().strip())
        if len(key) < 32:
            raise ConfigurationError(f"{path}: token key must be at least 32 bytes (base64)")
        return key

    def signing_key(self) -> Ed25519PrivateKey:
        path = self._path("checkpoint.ed25519.pem")
        if not path.exists():
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption())
            self._create(path, pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"{path}: not an Ed25519 private key")
        return key


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]
