"""AES-GCM for personal data: a master key wraps each subject's data key, and a data key
seals one event's personal fields. Pure functions over bytes; no I/O.

Every ciphertext is `nonce (12 bytes) || ciphertext || tag (16 bytes)`, and each is bound
to where it belongs by its associated data: a wrapped key to its subject, a sealed blob
to its event. Moving either elsewhere makes opening it fail as tampered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


class WrongMasterKey(Exception):
    """The master key does not open what it is asked to: never read as 'erased'."""


class Tampered(Exception):
    """A sealed value failed its authentication tag: altered, truncated or moved."""


def parse_master_key(text: str) -> bytes:
    """The master key as settings hold it: standard base64 of 32 random bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise ValueError("the personal-data master key is not base64") from exc
    if len(raw) != KEY_BYTES:
        raise ValueError(f"the personal-data master key must be {KEY_BYTES} bytes, not {len(raw)}")
    return raw


def master_key_id(key: bytes) -> str:
    """A short public name for a master key, stored beside every key it wraps. A keyed hash
    (HMAC with the key itself): it tells two keys apart and reveals nothing of either."""
    return hmac.new(key, b"grassroots.master-key-id", hashlib.sha256).hexdigest()[:16]


def new_master_key_text() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)  # random 96-bit nonces: safe far beyond a key's use here
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < NONCE_BYTES + 16:
        raise InvalidTag
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


def _subject_aad(subject_id: str) -> bytes:
    return b"grassroots.subject-key:" + subject_id.encode()


class MasterKey:
    """Wraps and unwraps data keys. Its bytes never leave this object (no repr)."""

    __slots__ = ("_key", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a master key is {KEY_BYTES} bytes")
        self._key = key
        self.key_id = master_key_id(key)

    def __repr__(self) -> str:
        return f"MasterKey({self.key_id}, ***)"

    def wrap(self, subject_id: str, data_key: bytes) -> bytes:
        return _seal(self._key, data_key, _subject_aad(subject_id))

    def unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        try:
            return _open(self._key, wrapped, _subject_aad(subject_id))
        except InvalidTag:
            raise WrongMasterKey(
                f"the master key does not open the data key of {subject_id}: wrong master key,"
                " or the key row was altered"
            ) from None

    def check_value(self) -> bytes:
        """A fresh sealed canary, stored once, so a later start can tell a wrong key."""
        return _seal(self._key, b"grassroots", _subject_aad("$canary"))

    def verify(self, check_value: bytes) -> None:
        try:
            _open(self._key, check_value, _subject_aad("$canary"))
        except InvalidTag:
            raise WrongMasterKey(
                "this master key is not the one the database's keys were wrapped with"
            ) from None


def seal_blob(data_key: bytes, plaintext: bytes, event_id: str) -> str:
    """One event's personal fields, bound to that event (base64 text for the JSON)."""
    return base64.b64encode(_seal(data_key, plaintext, event_id.encode())).decode()


def open_blob(data_key: bytes, sealed: str, event_id: str) -> bytes:
    try:
        return _open(data_key, base64.b64decode(sealed, validate=True), event_id.encode())
    except (InvalidTag, binascii.Error):
        raise Tampered(f"the personal data of event {event_id} fails authentication") from None
