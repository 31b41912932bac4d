"""OpenID Connect single sign-on with Authlib's Flask client.

Rules:
- The provider is found through its discovery document (OIDC_ISSUER/.well-known/
  openid-configuration); its keys (jwks_uri) verify the ID token's signature, and the
  token's issuer, audience, expiry and nonce are checked (Authlib's parse_id_token).
- The authorization code flow runs with PKCE (S256), a `state` kept in the signed session
  and a `nonce`: a callback whose state is not the one this browser was given, a code used
  twice, or an ID token whose nonce differs is refused.
- Signing out of perfsite also signs out at the provider when it advertises an
  end_session_endpoint (RP-initiated logout), returning to the login page.

Authlib (with requests and joserfc) is imported where it is used, not when the module is:
an app without single sign-on never loads it, one with it loads it in init_app
(tests/test_structure.py checks). The views catch the errors these libraries raise through
unreachable_errors(), start_errors() and refused_errors().
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app

NAME = "company"


def is_configured(app: Flask | None = None) -> bool:
    config = (app or current_app).config
    return bool(config["OIDC_ISSUER"] and config["OIDC_CLIENT_ID"])


def init_app(app: Flask) -> None:
    """Register the provider on this app (its own registry: tests make several apps)."""
    if not is_configured(app):
        return
    from authlib.integrations.flask_client import OAuth

    cfg = app.config
    oauth = OAuth(app)
    oauth.register(
        NAME,
        client_id=cfg["OIDC_CLIENT_ID"],
        client_secret=cfg["OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=f"{cfg['OIDC_ISSUER']}/.well-known/openid-configuration",
        client_kwargs={"scope": cfg["OIDC_SCOPES"], "code_challenge_method": "S256",
                       "timeout": cfg["OIDC_TIMEOUT"]},
    )
    app.extensions["perfsite_oidc"] = oauth


def unreachable_errors() -> tuple[type[Exception], ...]:
    """What talking to the provider raises when it cannot be reached."""
    import requests

    return (requests.RequestException,)


def start_errors() -> tuple[type[Exception], ...]:
    """What starting a sign-in raises when the provider cannot be reached or its discovery
    document cannot be used."""
    from authlib.common.errors import AuthlibBaseError

    return (*unreachable_errors(), AuthlibBaseError, ValueError)


def refused_errors() -> tuple[type[Exception], ...]:
    """What the sign-in's checks raise on a callback that must be refused: a state that is
    not this browser's, a code used before, an ID token whose signature, issuer, audience,
    expiry or nonce is wrong."""
    from authlib.common.errors import AuthlibBaseError
    from joserfc.errors import JoseError

    return (AuthlibBaseError, JoseError, ValueError, KeyError)


def client():
    return current_app.extensions["perfsite_oidc"].create_client(NAME)


def provider_name() -> str:
    return current_app.config["OIDC_PROVIDER_NAME"] or current_app.config["SITE_NAME"]


def end_session_url(id_token: str | None, come_back_to: str) -> str | None:
    """Where to send the browser to sign out at the provider too, if it says how."""
    if not (is_configured() and id_token):
        return None
    try:
        metadata = client().load_server_metadata()
    except Exception:  # noqa: BLE001  the provider is down: the local logout stands
        current_app.logger.warning("OIDC discovery failed at logout", exc_info=True)
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    query = urlencode({"id_token_hint": id_token, "post_logout_redirect_uri": come_back_to,
                       "client_id": current_app.config["OIDC_CLIENT_ID"]})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
