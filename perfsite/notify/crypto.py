"""Channel secrets sealed at rest: Fernet (AES-128-CBC + HMAC-SHA256, from the
`cryptography` package) with a key derived from SECRET_KEY by HKDF-SHA256.

So a dump of the database alone reveals no webhook address or signing secret; whoever
also has SECRET_KEY can read them, as the running site must. Changing SECRET_KEY makes
the stored ones unreadable: the channel page then says so and HR pastes them again
(nothing is sent with a secret that cannot be read).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

_INFO = b"perfsite notify channel secrets v1"


class Unreadable(Exception):
    """A sealed value that this SECRET_KEY cannot open (the key changed since)."""


def _fernet(secret_key: str | None = None) -> Fernet:
    key = (secret_key or current_app.config["SECRET_KEY"]).encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key)
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(value: str, secret_key: str | None = None) -> str:
    return _fernet(secret_key).encrypt(value.encode()).decode()


def unseal(token: str, secret_key: str | None = None) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise Unreadable() from None
