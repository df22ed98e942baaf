"""Sealing personal data with its subject's own key (AES-GCM), and opening it again."""

from __future__ import annotations

import base64
import os
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.fingerprint import note_sealed
from application.keystore import KeyStore
from domain.values import Sealed

ERASED = "[erased]"
PREFIX = "v1."
NONCE = 12


class Vault:
    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def seal(self, subject: UUID, plaintext: str) -> Sealed:
        key = self.keys.ensure_key(str(subject))
        note_sealed(str(subject))
        nonce = os.urandom(NONCE)
        secret = AESGCM(key).encrypt(nonce, plaintext.encode(), str(subject).encode())
        token = PREFIX + base64.urlsafe_b64encode(nonce + secret).decode()
        return Sealed(subject=str(subject), token=token)

    def open(self, sealed: Sealed) -> str:
        """The plaintext, or the ERASED marker once the subject's key was destroyed."""
        key = self.keys.key_for(sealed.subject)
        if key is None:
            return ERASED
        blob = base64.urlsafe_b64decode(sealed.token.removeprefix(PREFIX))
        return AESGCM(key).decrypt(blob[:NONCE], blob[NONCE:], sealed.subject.encode()).decode()

    def open_optional(self, sealed: Sealed | None) -> str | None:
        return None if sealed is None else self.open(sealed)
