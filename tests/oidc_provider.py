"""A real OpenID provider on localhost (oidc-provider-mock) for the single sign-on tests:
discovery, signed ID tokens, the authorization page, end_session. The site talks to it over
HTTP exactly as to Keycloak or Azure AD."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

CLIENT_ID = "perfsite"
CLIENT_SECRET = "perfsite-client-secret"


@pytest.fixture(scope="session")
def oidc_provider():
    """The provider's issuer URL (http://localhost:<port>), running for the session."""
    oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def oidc_settings(issuer: str, **overrides) -> dict:
    return {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_SCOPES": "openid email profile",
            "OIDC_CLAIM": "email", "OIDC_MATCH": "email", "OIDC_PROVIDER_NAME": "Example Corp",
            "OIDC_JIT": False, "OIDC_TIMEOUT": 5.0, **overrides}


def set_user(issuer: str, sub: str, **claims) -> None:
    """What the provider says about `sub` (e-mail, name…) from now on."""
    requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()


def authorize(authorize_url: str, sub: str) -> str:
    """Sign `sub` in on the provider's page, as a person would; the callback URL (path and
    query) the provider sends the browser back to."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert response.status_code in (302, 303), response.text[:500]
    location = urlsplit(response.headers["Location"])
    return f"{location.path}?{location.query}"


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
