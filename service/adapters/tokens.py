"""Access tokens: JWTs signed with python-jose.

Every token names its key (`kid`), and each key allows exactly one algorithm, so a
token cannot choose how it is checked: `alg: none` and HS/RS confusion are refused
before any signature work. Keys rotate by adding a new signing key and keeping the
old ones for verification until their tokens have expired.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from jose import JWTError, jwt

from service.domain.access import Actor, ActorKind
from service.domain.errors import Unauthenticated
from service.domain.ports.identity import IssuedToken, TokenSubject

ISSUER: Final = "tracedesk"
AUDIENCE: Final = "tracedesk-api"


@dataclass(frozen=True, slots=True)
class TokenKey:
    """A key that can verify tokens, and sign them if `signing_material` is given."""

    kid: str
    algorithm: str
    verification_material: str
    signing_material: str | None = None


# Servers of one deployment may read their clocks a little apart.
_CLOCK_SKEW_SECONDS: Final = 60


class JoseTokenService:
    # Verified tokens are remembered by their exact text: a signature that checked once
    # checks forever, so only expiry is re-checked. Whether the account may still act is
    # decided by the caller on every request, not here.
    VERIFIED_CACHE_SIZE: Final = 10_000

    def __init__(self, keys: Sequence[TokenKey], *, lifetime: timedelta) -> None:
        signing = [k for k in keys if k.signing_material is not None]
        if len(signing) != 1:
            raise ValueError("exactly one key must be able to sign")
        self._signing = signing[0]
        self._signing_material: str = signing[0].signing_material or ""
        self._keys = {k.kid: k for k in keys}
        self._lifetime = lifetime
        self._verified: OrderedDict[str, tuple[int, TokenSubject]] = OrderedDict()

    def issue(
        self,
        actor: Actor,
        *,
        now: datetime,
        credential_id: uuid.UUID | None = None,
        session_id: uuid.UUID | None = None,
    ) -> IssuedToken:
        expires = now + self._lifetime
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": str(actor.id),
            "kind": actor.kind.value,
            "agency": str(actor.agency_id),
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if credential_id is not None:
            claims["key"] = str(credential_id)
        if session_id is not None:
            claims["sid"] = str(session_id)
        token = jwt.encode(
            claims,
            self._signing_material,
            algorithm=self._signing.algorithm,
            headers={"kid": self._signing.kid},
        )
        return IssuedToken(token=token, expires_at=expires)

    def verify(self, token: str, *, now: datetime) -> TokenSubject:
        remembered = self._verified.get(token)
        if remembered is not None:
            expires, subject = remembered
            if expires <= int(now.timestamp()):
                del self._verified[token]
                raise Unauthenticated("token expired")
            return subject
        subject, expires = self._verify_signature(token, now=now)
        self._verified[token] = (expires, subject)
        if len(self._verified) > self.VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return subject

    def _verify_signature(self, token: str, *, now: datetime) -> tuple[TokenSubject, int]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise Unauthenticated("malformed token") from None
        key = self._keys.get(str(header.get("kid")))
        if key is None:
            raise Unauthenticated("unknown signing key")
        if header.get("alg") != key.algorithm:
            raise Unauthenticated("algorithm does not match the key")
        try:
            claims = jwt.decode(
                token,
                key.verification_material,
                algorithms=[key.algorithm],
                audience=AUDIENCE,
                issuer=ISSUER,
                # Time is judged below against the service's clock, the one it issues with.
                # No `require_exp` here: python-jose turns it into a check against the
                # wall clock, whatever `verify_exp` says.
                # python-jose checks the audience only of a token that names one.
                options={
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "require_aud": True,
                    "require_iss": True,
                },
            )
        except JWTError as error:
            raise Unauthenticated(f"token refused: {error}") from None
        moment = int(now.timestamp())
        try:
            expires, not_before = int(claims["exp"]), int(claims.get("nbf", 0))
        except (KeyError, TypeError, ValueError):
            raise Unauthenticated("token times malformed") from None
        if expires <= moment:
            raise Unauthenticated("token expired")
        if expires > moment + self._lifetime.total_seconds() + _CLOCK_SKEW_SECONDS:
            # This service never issues such a token: one signed with a leaked key to
            # last for years is refused, not honoured until its far expiry.
            raise Unauthenticated("token lives longer than this service issues tokens for")
        if not_before > moment:
            raise Unauthenticated("token not yet valid")
        try:
            subject = TokenSubject(
                actor_id=uuid.UUID(claims["sub"]),
                kind=ActorKind(claims["kind"]),
                credential_id=uuid.UUID(claims["key"]) if "key" in claims else None,
                session_id=uuid.UUID(claims["sid"]) if "sid" in claims else None,
            )
        except (KeyError, ValueError):
            raise Unauthenticated("token subject malformed") from None
        return subject, int(claims["exp"])
