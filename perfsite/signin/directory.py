"""Talking to the company directory (LDAP / Active Directory) with ldap3.

Rules:
- The password is checked by binding as the person: directly (LDAP_USER_DN with the
  username filled in: a DN template or an AD UPN), or after finding their entry with the
  service account (LDAP_BIND_DN, LDAP_USER_FILTER). An empty password is never sent (an
  LDAP server takes a bind without one as an anonymous bind, which succeeds).
- Wrong password, unknown username and a locked or disabled account all raise
  WrongCredentials, with the same work done: nobody can tell them apart from outside.
- A directory that cannot be reached (every URL tried in turn), or a TLS handshake that
  fails, raises DirectoryDown; callers answer 503 and never fall back to anything that
  skips the password.
- ldap:// with LDAP_STARTTLS=1 upgrades the connection before any bind; ldaps:// is TLS
  from the start; either way the server's certificate is checked against LDAP_CA_FILE (or
  the system's CAs).

ldap3 is imported where it is used, not when the module is: the app starts (and serves
every page but the directory's) without loading it (tests/test_structure.py checks).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

from ..models import Role

if TYPE_CHECKING:
    from ldap3 import Connection, Server, Tls


class DirectoryDown(Exception):
    """The directory could not be reached or refused the service account."""


class WrongCredentials(Exception):
    """Wrong password, unknown username, or a locked or disabled account."""


@dataclass
class DirectoryPerson:
    dn: str
    username: str
    display_name: str
    email: str
    employee_number: str
    title: str
    department: str
    manager_dn: str
    member_of: set[str] = field(default_factory=set)


def is_configured() -> bool:
    return bool(current_app.config["LDAP_URLS"])


def same_dn(a: str, b: str) -> bool:
    return normal_dn(a) == normal_dn(b)


def normal_dn(dn: str) -> str:
    """A DN compared as directories do: case and spaces around separators ignored."""
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.dn import parse_dn

    try:
        return ",".join(f"{attr.lower()}={value.strip().lower()}"
                        for attr, value, _sep in parse_dn(dn))
    except LDAPException:
        return dn.strip().lower()


def group_roles() -> dict[Role, str]:
    """The role each configured group grants, with the group's DN."""
    cfg = current_app.config
    groups = {Role.HR_ADMIN: cfg["LDAP_GROUP_HR_ADMIN"],
              Role.EXECUTIVE: cfg["LDAP_GROUP_EXECUTIVE"]}
    return {role: dn for role, dn in groups.items() if dn}


# Connections -------------------------------------------------------------------------------

def _tls() -> Tls:
    from ldap3 import Tls

    ca_file = current_app.config["LDAP_CA_FILE"] or None
    return Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=ca_file,
               version=ssl.PROTOCOL_TLS_CLIENT)


def _server(url: str) -> Server:
    from ldap3 import NONE, Server

    timeout = current_app.config["LDAP_TIMEOUT"]
    secure = url.lower().startswith("ldaps://")
    needs_tls = secure or current_app.config["LDAP_STARTTLS"]
    return Server(url, use_ssl=secure, tls=_tls() if needs_tls else None,
                  connect_timeout=timeout, get_info=NONE)


def _open(user: str | None = None, password: str | None = None) -> Connection:
    """An open (and, with LDAP_STARTTLS, encrypted) connection to the first directory
    server that answers, not yet bound. DirectoryDown when none does."""
    from ldap3 import Connection
    from ldap3.core.exceptions import LDAPException

    cfg = current_app.config
    problems = []
    for url in cfg["LDAP_URLS"]:
        connection = Connection(_server(url), user=user, password=password,
                                receive_timeout=max(1, round(cfg["LDAP_TIMEOUT"])),
                                raise_exceptions=False, auto_referrals=False, read_only=True)
        try:
            connection.open()
            if cfg["LDAP_STARTTLS"] and not url.lower().startswith("ldaps://"):
                if not connection.start_tls():
                    raise DirectoryDown(f"{url}: StartTLS refused")
            return connection
        except (LDAPException, OSError, ssl.SSLError) as error:
            problems.append(f"{url}: {error}")
            _close(connection)
        except DirectoryDown as error:
            problems.append(str(error))
            _close(connection)
    raise DirectoryDown("; ".join(problems) or "no LDAP_URL")


def _close(connection: Connection) -> None:
    """Unbind, whatever state a failed handshake left the socket in."""
    from ldap3.core.exceptions import LDAPException

    try:
        connection.unbind()
    except (LDAPException, OSError):
        pass


def _bind(connection: Connection) -> bool:
    from ldap3.core.exceptions import LDAPException

    try:
        return bool(connection.bind())
    except (LDAPException, OSError) as error:
        raise DirectoryDown(str(error)) from error


def service_connection() -> Connection:
    """Bound as the service account (LDAP_BIND_DN), or anonymously without one."""
    cfg = current_app.config
    connection = _open(cfg["LDAP_BIND_DN"] or None, cfg["LDAP_BIND_PASSWORD"] or None)
    if not _bind(connection):
        connection.unbind()
        raise DirectoryDown("the service account (LDAP_BIND_DN) was refused: "
                            f"{connection.result.get('description')}")
    return connection


# Reading entries ---------------------------------------------------------------------------

def _attributes() -> list[str]:
    cfg = current_app.config
    names = [cfg["LDAP_ATTR_USERNAME"], cfg["LDAP_ATTR_NAME"], cfg["LDAP_ATTR_EMAIL"],
             cfg["LDAP_ATTR_EMPLOYEE_NUMBER"], cfg["LDAP_ATTR_TITLE"], cfg["LDAP_ATTR_MANAGER"],
             cfg["LDAP_ATTR_DEPARTMENT"], "memberOf"]
    return [name for name in names if name]


def _first(attributes: dict, name: str) -> str:
    if not name:
        return ""
    value = attributes.get(name)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _ou_of(dn: str) -> str:
    """The organisational unit an entry sits in (its department without an attribute)."""
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.dn import parse_dn

    try:
        parts = parse_dn(dn)
    except LDAPException:
        return ""
    for attr, value, _sep in parts[1:]:
        if attr.lower() == "ou":
            return value.replace("\\,", ",").strip()
    return ""


def _person(entry: dict) -> DirectoryPerson:
    cfg = current_app.config
    attributes = entry["attributes"]
    member_of = attributes.get("memberOf") or []
    return DirectoryPerson(
        dn=entry["dn"],
        username=_first(attributes, cfg["LDAP_ATTR_USERNAME"]).lower(),
        display_name=_first(attributes, cfg["LDAP_ATTR_NAME"]),
        email=_first(attributes, cfg["LDAP_ATTR_EMAIL"]).lower(),
        employee_number=_first(attributes, cfg["LDAP_ATTR_EMPLOYEE_NUMBER"]),
        title=_first(attributes, cfg["LDAP_ATTR_TITLE"]),
        department=(_first(attributes, cfg["LDAP_ATTR_DEPARTMENT"])
                    if cfg["LDAP_ATTR_DEPARTMENT"] else _ou_of(entry["dn"])),
        manager_dn=_first(attributes, cfg["LDAP_ATTR_MANAGER"]),
        member_of={str(dn) for dn in (member_of if isinstance(member_of, list) else [member_of])},
    )


def _search(connection: Connection, base: str, search_filter: str, scope: str | None = None,
            attributes=None) -> list[dict]:
    """The entries found (scope: ldap3's SUBTREE unless given)."""
    from ldap3 import SUBTREE
    from ldap3.core.exceptions import LDAPException

    try:
        entries = connection.extend.standard.paged_search(
            base, search_filter, search_scope=scope or SUBTREE,
            attributes=attributes or _attributes(), paged_size=500, generator=False)
    except (LDAPException, OSError) as error:
        raise DirectoryDown(str(error)) from error
    result = connection.result or {}
    if result.get("result") not in (0, None) and result.get("description") != "noSuchObject":
        raise DirectoryDown(f"search refused: {result.get('description')}")
    return [entry for entry in entries if entry.get("type") == "searchResEntry"]


def _user_filter(username: str | None) -> str:
    from ldap3.utils.conv import escape_filter_chars

    template = current_app.config["LDAP_USER_FILTER"]
    return template.replace("{username}", "*" if username is None
                            else escape_filter_chars(username))


def _is_disabled(connection: Connection, dn: str) -> bool:
    from ldap3 import BASE

    disabled = current_app.config["LDAP_DISABLED_FILTER"]
    if not disabled:
        return False
    return bool(_search(connection, dn, disabled, scope=BASE, attributes=["objectClass"]))


def group_members(connection: Connection) -> dict[Role, set[str]]:
    """The members (normalised DNs) of each configured group."""
    from ldap3 import BASE

    members: dict[Role, set[str]] = {}
    for role, group_dn in group_roles().items():
        found = _search(connection, group_dn, "(objectClass=*)", scope=BASE,
                        attributes=["member", "uniqueMember"])
        names = set()
        for entry in found:
            for attr in ("member", "uniqueMember"):
                values = entry["attributes"].get(attr) or []
                names.update(normal_dn(str(v)) for v in values)
        members[role] = names
    return members


def roles_of(person: DirectoryPerson, members: dict[Role, set[str]]) -> dict[Role, str]:
    """The roles `person`'s groups grant, with the granting group's DN (AD's memberOf
    counts as well as the group's member list)."""
    mine = {normal_dn(dn) for dn in person.member_of}
    dn = normal_dn(person.dn)
    return {role: group_dn for role, group_dn in group_roles().items()
            if dn in members.get(role, set()) or normal_dn(group_dn) in mine}


# Signing in -------------------------------------------------------------------------------

def check_password(username: str, password: str) -> tuple[DirectoryPerson, dict[Role, str]]:
    """The directory's entry for this username and password, with the roles its groups
    grant. WrongCredentials for a wrong password, unknown user or disabled account;
    DirectoryDown when the directory cannot answer."""
    from ldap3.utils.dn import escape_rdn

    cfg = current_app.config
    username = username.strip().lower()
    if not username or not password:
        raise WrongCredentials()
    if cfg["LDAP_BIND_MODE"] == "direct":
        bind_name = cfg["LDAP_USER_DN"].replace("{username}", escape_rdn(username))
        connection = _open(bind_name, password)
        try:
            if not _bind(connection):
                raise WrongCredentials()
            found = _search(connection, cfg["LDAP_BASE_DN"], _user_filter(username))
            if len(found) != 1:
                raise WrongCredentials()
            person = _person(found[0])
            if _is_disabled(connection, person.dn):
                raise WrongCredentials()
            return person, roles_of(person, group_members(connection))
        finally:
            connection.unbind()
    service = service_connection()
    try:
        found = _search(service, cfg["LDAP_BASE_DN"], _user_filter(username))
        # An unknown username still costs a bind, so that it answers as slowly as a
        # wrong password does.
        dn = found[0]["dn"] if len(found) == 1 else f"cn={escape_rdn(username)},cn=unknown"
        user = _open(dn, password)
        try:
            accepted = _bind(user)
        finally:
            user.unbind()
        if len(found) != 1 or not accepted:
            raise WrongCredentials()
        person = _person(found[0])
        if _is_disabled(service, person.dn):
            raise WrongCredentials()
        return person, roles_of(person, group_members(service))
    finally:
        service.unbind()


# Reading everyone (the sync) -------------------------------------------------------------

def everyone() -> tuple[list[DirectoryPerson], set[str], dict[Role, set[str]]]:
    """Every person entry under LDAP_BASE_DN, the normalised DNs of disabled ones, and the
    configured groups' members."""
    cfg = current_app.config
    connection = service_connection()
    try:
        people = [_person(entry) for entry in
                  _search(connection, cfg["LDAP_BASE_DN"], _user_filter(None))]
        disabled = set()
        if cfg["LDAP_DISABLED_FILTER"]:
            flagged = _search(connection, cfg["LDAP_BASE_DN"],
                              f"(&{_user_filter(None)}{cfg['LDAP_DISABLED_FILTER']})",
                              attributes=["objectClass"])
            disabled = {normal_dn(entry["dn"]) for entry in flagged}
        return people, disabled, group_members(connection)
    finally:
        connection.unbind()
