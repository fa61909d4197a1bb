"""Access tokens refuse every way of being forged or replayed past their life."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt

from service.adapters.bootstrap import public_pem
from service.adapters.tokens import AUDIENCE, ISSUER, JoseTokenService, TokenKey
from service.domain.access import Actor, ActorKind, Role
from service.domain.errors import Unauthenticated
from tests.builders import AGENCY_A, new_id

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SECRET = "a-secret-that-is-long-enough-for-hs256-0123456789"


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


RSA_PRIVATE = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
EC_PRIVATE = pem(ec.generate_private_key(ec.SECP256R1()))


def user() -> Actor:
    return Actor(new_id(), ActorKind.USER, AGENCY_A, frozenset({Role.INVESTIGATOR}))


def hs_service(kid: str = "hs-1") -> JoseTokenService:
    return JoseTokenService(
        [TokenKey(kid, "HS256", SECRET, SECRET)], lifetime=timedelta(minutes=15)
    )


def segments(token: str) -> list[str]:
    return token.split(".")


def encode(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


def decode(part: str) -> dict[str, object]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # type: ignore[no-any-return]


def test_a_token_verifies_until_it_expires() -> None:
    service = hs_service()
    actor = user()
    issued = service.issue(actor, now=NOW)
    assert service.verify(issued.token, now=NOW + timedelta(minutes=14)).actor_id == actor.id
    with pytest.raises(Unauthenticated, match="expired"):
        service.verify(issued.token, now=NOW + timedelta(minutes=15))


def test_a_tampered_payload_is_refused() -> None:
    service = hs_service()
    header, payload, signature = segments(service.issue(user(), now=NOW).token)
    claims = decode(payload)
    claims["sub"] = str(new_id())
    with pytest.raises(Unauthenticated):
        service.verify(f"{header}.{encode(claims)}.{signature}", now=NOW)


def test_alg_none_is_refused() -> None:
    service = hs_service()
    _, payload, _ = segments(service.issue(user(), now=NOW).token)
    forged = f"{encode({'alg': 'none', 'typ': 'JWT', 'kid': 'hs-1'})}.{payload}."
    with pytest.raises(Unauthenticated):
        service.verify(forged, now=NOW)


def test_a_public_key_used_as_an_hmac_secret_is_refused() -> None:
    """HS/RS confusion: a token "signed" with HS256 using the public RSA key as the secret
    and the RSA key's kid. The key allows RS256 only, so it is refused unread."""
    public = public_pem(RSA_PRIVATE)
    service = JoseTokenService(
        [TokenKey("rs-1", "RS256", public, RSA_PRIVATE)], lifetime=timedelta(minutes=15)
    )
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(new_id()),
        "kind": "user",
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
    }
    # python-jose itself refuses to HMAC with an asymmetric key, so forge it by hand.
    signing_input = f"{encode({'alg': 'HS256', 'typ': 'JWT', 'kid': 'rs-1'})}.{encode(claims)}"
    mac = hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    with pytest.raises(Unauthenticated, match="algorithm"):
        service.verify(forged, now=NOW)


def test_an_unknown_key_id_is_refused() -> None:
    signed_elsewhere = hs_service("other").issue(user(), now=NOW).token
    with pytest.raises(Unauthenticated, match="unknown signing key"):
        hs_service("hs-1").verify(signed_elsewhere, now=NOW)


def test_a_token_of_another_issuer_or_audience_is_refused() -> None:
    claims = {
        "iss": "someone-else",
        "aud": AUDIENCE,
        "sub": str(new_id()),
        "kind": "user",
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
    }
    foreign = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "hs-1"})
    with pytest.raises(Unauthenticated):
        hs_service().verify(foreign, now=NOW)


@pytest.mark.parametrize("missing", ["exp", "sub", "aud", "iss"])
def test_a_token_without_expiry_subject_audience_or_issuer_is_refused(missing: str) -> None:
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(new_id()),
        "kind": "user",
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
    }
    del claims[missing]
    signed = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "hs-1"})
    with pytest.raises(Unauthenticated, match="malformed|refused"):
        hs_service().verify(signed, now=NOW)


def test_a_token_living_longer_than_the_service_issues_them_is_refused() -> None:
    """Signed with the service's own key (leaked, say) to last thirty years: refused, as
    this service never issues one living past its configured lifetime."""
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(new_id()),
        "kind": "user",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(days=365 * 30)).timestamp()),
    }
    signed = jwt.encode(claims, SECRET, algorithm="HS256", headers={"kid": "hs-1"})
    with pytest.raises(Unauthenticated, match="longer than this service issues"):
        hs_service().verify(signed, now=NOW)
    issued = hs_service().issue(user(), now=NOW).token  # lives exactly the lifetime
    assert hs_service().verify(issued, now=NOW)


def test_expiry_is_judged_by_the_service_clock_not_the_wall_clock() -> None:
    """A token issued long ago on the service's clock is valid while that clock says so
    (tests and replays run on a fixed clock)."""
    long_ago = datetime(2001, 1, 1, tzinfo=UTC)
    service = hs_service()
    token = service.issue(user(), now=long_ago).token
    assert service.verify(token, now=long_ago + timedelta(minutes=1))


@pytest.mark.parametrize(("algorithm", "private"), [("RS256", RSA_PRIVATE), ("ES256", EC_PRIVATE)])
def test_asymmetric_keys_sign_and_verify(algorithm: str, private: str) -> None:
    service = JoseTokenService(
        [TokenKey("k", algorithm, public_pem(private), private)], lifetime=timedelta(minutes=15)
    )
    actor = user()
    token = service.issue(actor, now=NOW).token
    assert decode(segments(token)[0])["alg"] == algorithm
    assert service.verify(token, now=NOW).actor_id == actor.id


def test_keys_rotate_without_signing_anyone_out() -> None:
    old = JoseTokenService(
        [TokenKey("2026-10", "HS256", SECRET, SECRET)], lifetime=timedelta(minutes=15)
    )
    token_from_before = old.issue(user(), now=NOW).token
    new_secret = SECRET[::-1]
    rotated = JoseTokenService(
        [
            TokenKey("2026-11", "HS256", new_secret, new_secret),
            TokenKey("2026-10", "HS256", SECRET),
        ],
        lifetime=timedelta(minutes=15),
    )
    assert rotated.verify(token_from_before, now=NOW)
    fresh = rotated.issue(user(), now=NOW).token
    assert decode(segments(fresh)[0])["kid"] == "2026-11"


def test_a_service_accounts_token_names_its_key() -> None:
    key_id = new_id()
    service = hs_service()
    account = Actor(new_id(), ActorKind.SERVICE_ACCOUNT, AGENCY_A)
    subject = service.verify(service.issue(account, now=NOW, credential_id=key_id).token, now=NOW)
    assert (subject.kind, subject.credential_id) == (ActorKind.SERVICE_ACCOUNT, key_id)
