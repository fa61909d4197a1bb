"""Signing in and out of the console, its cookies, its form tokens, its error pages and
its headers; and the API beside it, unchanged."""

from __future__ import annotations

import re

from service import accounts
from service.domain.ports.audit import AuditFilter
from tests.console.conftest import PASSWORD, Console, form_token


async def test_a_person_signs_in_is_sent_where_they_were_going_and_signs_out(
    console: Console,
) -> None:
    name = await console.person("investigator")
    browser = console.browser()
    away = await browser.get("/account")
    assert (away.status_code, away.headers["location"]) == (303, "/sign-in?next=%2Faccount")
    await browser.get("/sign-in?next=%2Faccount")
    signed = await browser.post(
        "/sign-in", {"username": name, "password": PASSWORD, "next": "/account"}
    )
    assert (signed.status_code, signed.headers["location"]) == (303, "/account")
    (cookie,) = [c for c in signed.headers.get_list("set-cookie") if "tracedesk_session" in c]
    assert cookie.startswith("tracedesk_session=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Max-Age" not in cookie  # gone with the browser
    account = await browser.get("/account")
    assert account.status_code == 200 and "Investigator A" in account.text
    out = await browser.post("/sign-out")
    assert (out.status_code, out.headers["location"]) == (303, "/sign-in")
    assert (await browser.get("/account")).status_code == 303


async def test_a_wrong_password_shows_one_message_beside_the_field(console: Console) -> None:
    name = await console.person("investigator")
    browser = console.browser()
    await browser.get("/sign-in")
    refused = await browser.post("/sign-in", {"username": name, "password": "not my password"})
    assert refused.status_code == 401
    assert 'href="#username">The username or the password is not right' in refused.text
    assert f'value="{name}"' in refused.text and "not my password" not in refused.text
    empty = await browser.post("/sign-in", {"username": "", "password": ""})
    assert empty.status_code == 422
    assert "Enter your username" in empty.text and "Enter your password" in empty.text


async def test_sign_in_is_throttled_exactly_as_the_api(console: Console) -> None:
    name = await console.person("investigator")
    browser = console.browser()
    await browser.get("/sign-in")
    statuses = [
        (await browser.post("/sign-in", {"username": name, "password": f"guess {n}"})).status_code
        for n in range(5)
    ]
    paused = await browser.post("/sign-in", {"username": name, "password": PASSWORD})
    assert statuses == [401] * 5 and paused.status_code == 429
    assert "Too many failed attempts" in paused.text
    token = await browser.client.post(
        "/api/v1/auth/token", data={"username": name, "password": PASSWORD}
    )
    assert token.status_code == 429


async def test_a_form_without_the_token_or_from_another_site_is_refused(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    no_token = await browser.client.post("/sign-out", data={})
    wrong = await browser.client.post("/sign-out", data={"csrf_token": "x" * 43})
    cross_site = await browser.client.post(
        "/sign-out", data={"csrf_token": browser.token}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    foreign = await browser.client.post(
        "/sign-out", data={"csrf_token": browser.token}, headers={"Origin": "https://evil.test"}
    )
    for refused in (no_token, wrong, cross_site, foreign):
        assert refused.status_code == 403
        assert "This form could not be accepted" in refused.text
    assert (await browser.get("/account")).status_code == 200  # still signed in
    # A token of another session is no good either.
    other = await console.signed_in("investigator", "b")
    assert other.token != browser.token
    stolen = await browser.client.post("/sign-out", data={"csrf_token": other.token})
    assert stolen.status_code == 403


async def test_a_sign_in_form_needs_its_own_pre_session_token(console: Console) -> None:
    name = await console.person("investigator")
    browser = console.browser()
    forged = await browser.client.post(
        "/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert forged.status_code == 403 and "tracedesk_session" not in forged.headers.get(
        "set-cookie", ""
    )


async def test_sign_in_never_sends_a_person_to_another_site(console: Console) -> None:
    name = await console.person("investigator")
    for target in ("https://evil.test/", "//evil.test/x", "/\\evil.test", "javascript:alert(1)"):
        browser = console.browser()
        await browser.get("/sign-in")
        signed = await browser.post(
            "/sign-in", {"username": name, "password": PASSWORD, "next": target}
        )
        assert signed.headers["location"] == "/", target


async def test_disabling_a_person_ends_their_console_session_at_the_next_request(
    console: Console,
) -> None:
    browser = await console.signed_in("investigator")
    async with console.deps.unit_of_work() as uow:
        user = await uow.users.by_username("investigator.a")
    assert user is not None
    await accounts.disable_user(deps=console.deps, user_id=user.id, reason="left the service")
    after = await browser.get("/account")
    assert (after.status_code, after.headers["location"]) == (303, "/sign-in?next=%2Faccount")
    htmx = await browser.client.get("/account", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/sign-in?next=%2Faccount"


async def test_a_new_password_signs_out_every_other_browser(console: Console) -> None:
    desk = await console.signed_in("investigator")
    laptop = console.browser()
    await laptop.get("/sign-in")
    await laptop.post("/sign-in", {"username": "investigator.a", "password": PASSWORD})
    assert (await laptop.get("/account")).status_code == 200
    await desk.get("/account")
    short = await desk.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 422 and "must be at least 12 characters" in short.text
    wrong = await desk.post(
        "/account/password", {"current_password": "nope", "new_password": "a brand new phrase"}
    )
    assert wrong.status_code == 422 and 'href="#current_password"' in wrong.text
    changed = await desk.post(
        "/account/password", {"current_password": PASSWORD, "new_password": "a brand new phrase"}
    )
    assert (changed.status_code, changed.headers["location"]) == (303, "/account?saved=password")
    assert "Your password is changed." in (await desk.get("/account?saved=password")).text
    assert (await laptop.get("/account")).status_code == 303


async def test_preferences_choose_the_language_and_the_time_zone(console: Console) -> None:
    browser = await console.signed_in("investigator")
    await browser.get("/account")
    refused = await browser.post("/account/preferences", {"language": "de", "time_zone": "Mars"})
    assert refused.status_code == 422
    assert 'href="#language"' in refused.text and 'href="#time_zone"' in refused.text
    saved = await browser.post(
        "/account/preferences", {"language": "fr", "time_zone": "Europe/Paris"}
    )
    assert saved.status_code == 303
    page = await browser.get("/account")
    assert '<html lang="fr" dir="ltr">' in page.text
    async with console.deps.unit_of_work() as uow:
        events = await uow.audit.events(AuditFilter(), after_seq=None, limit=50)
    assert "user.preferences_changed" in {e.event.action for e in events}


async def test_the_browsers_language_is_used_before_signing_in(console: Console) -> None:
    arabic = console.browser(**{"Accept-Language": "ar-JO,ar;q=0.9,en;q=0.5"})
    page = await arabic.get("/sign-in")
    assert '<html lang="ar" dir="rtl">' in page.text
    chosen = await arabic.post("/language", {"language": "es", "next": "/sign-in"})
    assert chosen.status_code == 303
    assert '<html lang="es" dir="ltr">' in (await arabic.get("/sign-in")).text


async def test_every_console_answer_carries_the_security_headers(console: Console) -> None:
    browser = await console.signed_in("investigator")
    for path in ("/sign-in", "/account", "/nowhere", "/static/console.css"):
        response = await browser.client.get(path)
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, path
        assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
    assert (await browser.client.get("/account")).headers["cache-control"] == "no-store"


async def test_an_unknown_page_is_the_404_page_with_the_request_id(console: Console) -> None:
    browser = await console.signed_in("investigator")
    missing = await browser.client.get("/no/such/page", headers={"X-Request-Id": "req-42"})
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "Page not found" in missing.text and "<code>req-42</code>" in missing.text


async def test_the_api_keeps_its_own_answers_beside_the_console(console: Console) -> None:
    client = console.browser().client
    missing = await client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    wrong_method = await client.delete("/api/v1/recoveries")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    assert "content-security-policy" not in missing.headers
    assert (await client.get("/openapi.json")).status_code == 200
    assert (await client.get("/healthz")).status_code == 200


def test_the_form_token_is_read_from_the_page() -> None:
    assert form_token('<input name="csrf_token" value="abc">') == "abc"
    assert re.fullmatch(r"[A-Za-z0-9_-]+", form_token('name="csrf_token" value="a-b_c"'))
