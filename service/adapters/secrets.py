"""Random secrets from the operating system's CSPRNG."""

from __future__ import annotations

import secrets


class SystemSecrets:
    def secret(self) -> str:
        return secrets.token_urlsafe(32)

    def public_id(self) -> str:
        return secrets.token_hex(5)
