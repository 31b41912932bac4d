"""Single sign-on in a real browser: the login page's "Sign in with …" goes through the
company's provider (a real OpenID provider on localhost) and lands on the home page; HR's
sign-in page shows how people sign in. Accessibility checked with axe."""

from __future__ import annotations

import re

import pytest

from perfsite.signin import oidc

from ..oidc_provider import oidc_provider, oidc_settings, set_user  # noqa: F401
from .conftest import check_accessibility, expect, login, logout


@pytest.fixture
def sso_site(live_server, oidc_provider):  # noqa: F811
    """The live site with single sign-on pointed at the provider (undone afterwards)."""
    app = live_server.app
    before = {key: app.config.get(key) for key in oidc_settings(oidc_provider)}
    app.config.update(oidc_settings(oidc_provider))
    oidc.init_app(app)
    yield live_server
    app.config.update(before)
    app.extensions.pop("perfsite_oidc", None)


def test_sign_in_with_the_company_provider_lands_on_home(sso_site, oidc_provider,  # noqa: F811
                                                         page, console):
    # The provider's own page may ask the internet for its stylesheet; there is none here.
    console.allow(re.escape(oidc_provider) + "|Failed to load resource")
    set_user(oidc_provider, "liu.yang", email="staff@example.com", name="Liu Yang")
    page.goto("/login")
    check_accessibility(page)
    page.get_by_role("link", name="Sign in with Example Corp").click()
    expect(page).to_have_url(re.compile(re.escape(oidc_provider) + "/oauth2/authorize"))
    page.locator("input[name=sub]").fill("liu.yang")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(sso_site.url + "/")
    expect(page.locator("body")).to_contain_text("Liu Yang")
    # Logging out ends the session here and signs out at the provider too (once the page's
    # own requests, the to-do badge, are done: the logout writes).
    page.wait_for_load_state("networkidle")
    logout(page)
    expect(page).to_have_url(re.compile(re.escape(oidc_provider) + "/oauth2/end_session"))
    page.goto(sso_site.url + "/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_hr_reads_how_people_sign_in_at_phone_width(sso_site, page):
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "hr")
    page.goto("/org/sign-in")
    expect(page.get_by_role("heading", name="How people sign in")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Example Corp")
    expect(page.locator("body")).not_to_contain_text("perfsite-client-secret")
    check_accessibility(page)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390
