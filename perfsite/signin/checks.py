"""HR's "test connection": what works and what does not, step by step, in words. No
secret is ever part of an answer (client secret and bind password are only "set")."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from . import directory, oidc


@dataclass
class Check:
    ok: bool
    what: str
    detail: str = ""


def check_oidc() -> list[Check]:
    import requests  # here, not at start-up (oidc.py says why)

    cfg = current_app.config
    url = f"{cfg['OIDC_ISSUER']}/.well-known/openid-configuration"
    timeout = cfg["OIDC_TIMEOUT"]
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        metadata = response.json()
    except (requests.RequestException, ValueError) as error:
        return [Check(False, _("The provider's discovery document"), f"{url}: {error}")]
    checks = [Check(True, _("The provider's discovery document"), url)]
    issuer = str(metadata.get("issuer", "")).rstrip("/")
    checks.append(Check(issuer == cfg["OIDC_ISSUER"], _("The issuer it names"),
                        _("%(issuer)s (OIDC_ISSUER is %(configured)s)", issuer=issuer,
                          configured=cfg["OIDC_ISSUER"])))
    try:
        keys = requests.get(metadata["jwks_uri"], timeout=timeout)
        keys.raise_for_status()
        count = len(keys.json().get("keys", []))
        checks.append(Check(count > 0, _("The keys that sign ID tokens"),
                            ngettext("%(num)d key at %(url)s", "%(num)d keys at %(url)s",
                                     count, url=metadata["jwks_uri"])))
    except (requests.RequestException, ValueError, KeyError) as error:
        checks.append(Check(False, _("The keys that sign ID tokens"), str(error)))
    checks.append(Check("code" in (metadata.get("response_types_supported") or ["code"]),
                        _("The authorization code flow"), ""))
    end_session = metadata.get("end_session_endpoint")
    checks.append(Check(True, _("Signing out at the provider too"),
                        end_session or _("not offered by the provider: logging out ends "
                                         "the perfsite session only")))
    return checks


def check_ldap() -> list[Check]:
    cfg = current_app.config
    checks = []
    try:
        connection = directory.service_connection()
    except directory.DirectoryDown as error:
        return [Check(False, _("Connecting and binding as the service account"), str(error))]
    try:
        secure = (_("StartTLS") if cfg["LDAP_STARTTLS"]
                  else _("TLS (ldaps)") if connection.server.ssl else _("not encrypted"))
        checks.append(Check(True, _("Connecting and binding as the service account"),
                            f"{connection.server.host}:{connection.server.port}, {secure}"))
        try:
            people, disabled, members = directory.everyone()
            checks.append(Check(bool(people), _("People found under the base DN"),
                                ngettext("%(num)d person entry, %(disabled)d of them disabled",
                                         "%(num)d person entries, %(disabled)d of them "
                                         "disabled", len(people), disabled=len(disabled))))
            for role, group_dn in directory.group_roles().items():
                found = members.get(role, set())
                checks.append(Check(bool(found), _("The group for %(role)s", role=role.label),
                                    ngettext("%(group)s: %(num)d member",
                                             "%(group)s: %(num)d members", len(found),
                                             group=group_dn)))
        except directory.DirectoryDown as error:
            checks.append(Check(False, _("People found under the base DN"), str(error)))
    finally:
        connection.unbind()
    return checks


def run_checks() -> dict[str, list[Check]]:
    results = {}
    if oidc.is_configured():
        results["oidc"] = check_oidc()
    if directory.is_configured():
        results["ldap"] = check_ldap()
    return results
