"""Customer identifiers at rest: a keyed hash (pseudonym) in the data, the original encrypted aside.

Sales lines and segments carry only the pseudonym `c_<32 hex>` = HMAC-SHA256(organization, id),
so the same customer keeps the same pseudonym across uploads (segment migration still works) and
one retailer's ids cannot be linked to another's. The original is kept only in
`customer_identities`, encrypted (Fernet: AES-128-CBC + HMAC-SHA256), for the owning
organization's exports. Both keys are derived from PII_KEY (HKDF-SHA256 with distinct labels).
Ref: NIST SP 800-108 (key derivation), RFC 5869 (HKDF), https://github.com/fernet/spec.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from common.settings import get_settings

PSEUDONYM_PREFIX = "c_"


def _derive(secret: str, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret.encode())


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[bytes, Fernet]:
    hash_key = _derive(secret, b"smartretail customer pseudonym v1")
    fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"smartretail customer encryption v1")))
    return hash_key, fernet


def pseudonym(organization_id: uuid.UUID, customer_id: str, secret: str | None = None) -> str:
    """The stable pseudonym of one customer id within one organization."""
    hash_key, _ = _keys(secret or get_settings().pii_key)
    digest = hmac.new(hash_key, f"{organization_id}:{customer_id}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:32]


def identity_table(
    organization_id: uuid.UUID, customer_ids: Iterable[str], secret: str | None = None
) -> pd.DataFrame:
    """raw_id -> pseudonym and encrypted original, for a set of distinct customer ids."""
    secret = secret or get_settings().pii_key
    _, fernet = _keys(secret)
    raw = [str(c) for c in customer_ids]
    return pd.DataFrame(
        {
            "raw_id": raw,
            "pseudonym": [pseudonym(organization_id, c, secret) for c in raw],
            "encrypted_id": [fernet.encrypt(c.encode()).decode() for c in raw],
        }
    )


def decrypt(encrypted_id: str, secret: str | None = None) -> str | None:
    """The original id, or None when it cannot be decrypted with this key."""
    _, fernet = _keys(secret or get_settings().pii_key)
    try:
        return fernet.decrypt(encrypted_id.encode()).decode()
    except InvalidToken:
        return None
