"""The local token issuer's key pair, made once per run folder."""

from __future__ import annotations

import os

from grassroots_eventkit.auth import generate_keypair

from grassroots_stack.layout import Layout


def ensure_keys(layout: Layout) -> None:
    if layout.jwt_private_key.exists() and layout.jwt_public_key.exists():
        return
    layout.keys.mkdir(parents=True, exist_ok=True)
    private_pem, public_pem = generate_keypair()
    layout.jwt_private_key.write_text(private_pem)
    os.chmod(layout.jwt_private_key, 0o600)
    layout.jwt_public_key.write_text(public_pem)
