"""Pseudonyms are stable per organization, unlinkable across them, and reversible only with the key."""

from __future__ import annotations

import uuid

from common import pii

ORG_A, ORG_B = uuid.uuid4(), uuid.uuid4()
SECRET = "a-test-secret-of-sufficient-length-123456"


def test_pseudonyms_are_stable_and_scoped_to_the_organization() -> None:
    first = pii.pseudonym(ORG_A, "17850", SECRET)
    assert first == pii.pseudonym(ORG_A, "17850", SECRET)
    assert first.startswith("c_") and len(first) == 34
    assert "17850" not in first
    assert first != pii.pseudonym(ORG_B, "17850", SECRET)
    assert first != pii.pseudonym(ORG_A, "17851", SECRET)
    assert first != pii.pseudonym(ORG_A, "17850", SECRET + "x")


def test_originals_decrypt_only_with_the_same_key() -> None:
    table = pii.identity_table(ORG_A, ["17850", "jane@example.com"], SECRET)
    assert list(table["pseudonym"]) == [
        pii.pseudonym(ORG_A, c, SECRET) for c in ("17850", "jane@example.com")
    ]
    assert "jane@example.com" not in "".join(table["encrypted_id"])
    assert [pii.decrypt(e, SECRET) for e in table["encrypted_id"]] == ["17850", "jane@example.com"]
    assert pii.decrypt(table["encrypted_id"][0], "another-secret-of-sufficient-length-99") is None
