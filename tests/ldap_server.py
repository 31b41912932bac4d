"""A throwaway OpenLDAP server (Debian's slapd) for the directory tests.

`ldap_directory` starts slapd in a temporary directory on a free port with a small company
loaded from LDIF (departments as OUs, managers, an HR and an executives group, a service
account, one person with a non-ASCII name, one locked account), and stops it afterwards.
Nothing of the LDAP library is mocked: the site talks to this server as it would to a
company's. `.ci/run` installs slapd; without it the tests skip, except with CI=true.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
BASE = "dc=example,dc=com"
PEOPLE = f"ou=People,{BASE}"
ADMIN_DN = f"cn=admin,{BASE}"
ADMIN_PASSWORD = "admin-secret"
SERVICE_DN = f"cn=perfsite,ou=Services,{BASE}"
SERVICE_PASSWORD = "service-secret-1"
HR_GROUP = f"cn=hr,ou=Groups,{BASE}"
EXEC_GROUP = f"cn=executives,ou=Groups,{BASE}"
PASSWORD = "directory-pass-1"  # everyone's directory password


def person_dn(username: str, department: str) -> str:
    return f"uid={username},ou={department},{PEOPLE}"


# username, name, department OU, title, employee number, manager username
PEOPLE_ROWS = [
    ("cjing", "Chen Jing", "Executive", "Chief Executive Officer", "E001", None),
    ("gmei", "Guo Mei", "Human Resources", "HR Business Partner", "E002", "cjing"),
    ("zmin", "Zhang Min", "Engineering", "Head of Engineering", "E003", "cjing"),
    ("lyang", "Liu Yang", "Engineering", "Software Engineer", "E004", "zmin"),
    ("wxia", "吴霞", "Engineering", "测试工程师", "E005", "zmin"),
    ("wfang", "Wang Fang", "Sales", "Account Manager", "E006", "cjing"),
    ("locked", "Locked Out", "Sales", "Account Manager", "E007", "wfang"),
]
DEPARTMENT_OF = {row[0]: row[2] for row in PEOPLE_ROWS}


def dn_of(username: str) -> str:
    return person_dn(username, DEPARTMENT_OF[username])


def _value(name: str, value: str) -> str:
    """One LDIF line; values that are not plain ASCII go base64-encoded (name:: …)."""
    if value.isascii() and not value.startswith((" ", ":", "<")):
        return f"{name}: {value}"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}"


def company_ldif() -> str:
    blocks = [
        [f"dn: {BASE}", "objectClass: dcObject", "objectClass: organization", "o: Example",
         "dc: example"],
        [f"dn: {PEOPLE}", "objectClass: organizationalUnit", "ou: People"],
        [f"dn: ou=Groups,{BASE}", "objectClass: organizationalUnit", "ou: Groups"],
        [f"dn: ou=Services,{BASE}", "objectClass: organizationalUnit", "ou: Services"],
        [f"dn: {SERVICE_DN}", "objectClass: organizationalRole",
         "objectClass: simpleSecurityObject", "cn: perfsite",
         f"userPassword: {SERVICE_PASSWORD}"],
    ]
    for department in dict.fromkeys(DEPARTMENT_OF.values()):
        blocks.append([f"dn: ou={department},{PEOPLE}", "objectClass: organizationalUnit",
                       f"ou: {department}"])
    for username, name, department, title, number, manager in PEOPLE_ROWS:
        lines = [f"dn: {person_dn(username, department)}", "objectClass: inetOrgPerson",
                 f"uid: {username}", _value("cn", name), _value("sn", name.split()[-1]),
                 f"mail: {username}@example.com", _value("title", title),
                 f"employeeNumber: {number}", f"userPassword: {PASSWORD}"]
        if manager:
            lines.append(f"manager: {dn_of(manager)}")
        blocks.append(lines)
    blocks.append([f"dn: {HR_GROUP}", "objectClass: groupOfNames", "cn: hr",
                   f"member: {dn_of('gmei')}"])
    blocks.append([f"dn: {EXEC_GROUP}", "objectClass: groupOfNames", "cn: executives",
                   f"member: {dn_of('cjing')}"])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def slapd_conf(folder: Path) -> str:
    locked = dn_of("locked")
    return f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {folder}/slapd.pid
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "{ADMIN_DN}"
rootpw {ADMIN_PASSWORD}
directory {folder}/db
# "locked": an account the directory refuses to let sign in, as AD does a locked one
access to dn.exact="{locked}" attrs=userPassword by * none
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
"""


def make_certificates(folder: Path) -> dict[str, Path]:
    """A throwaway certificate authority and a server certificate it signed, for
    127.0.0.1 and localhost (the StartTLS and ldaps tests); and a second, unrelated CA."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def authority(label):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(label)).issuer_name(name(label))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, True, True,
                                             False, False), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    ca_key, ca_cert = authority("perfsite test CA")
    _other_key, other_cert = authority("some other CA")
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (x509.CertificateBuilder().subject_name(name("127.0.0.1"))
                   .issuer_name(ca_cert.subject).public_key(server_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.SubjectAlternativeName([
                       x509.DNSName("localhost"),
                       x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                   .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    files = {"ca": folder / "ca.pem", "other_ca": folder / "other-ca.pem",
             "cert": folder / "server.pem", "key": folder / "server.key"}
    files["ca"].write_bytes(ca_cert.public_bytes(pem))
    files["other_ca"].write_bytes(other_cert.public_bytes(pem))
    files["cert"].write_bytes(server_cert.public_bytes(pem))
    files["key"].write_bytes(server_key.private_bytes(
        pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
    return files


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Directory:
    url: str
    folder: Path
    process: subprocess.Popen
    ldaps_url: str = ""
    certificates: dict | None = None

    def settings(self, **overrides) -> dict:
        """The app settings that point the site at this directory (search-then-bind)."""
        return {
            "LDAP_URLS": [self.url], "LDAP_BIND_MODE": "search", "LDAP_STARTTLS": False,
            "LDAP_CA_FILE": "", "LDAP_USER_DN": "", "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "LDAP_BASE_DN": PEOPLE,
            "LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username}))",
            "LDAP_DISABLED_FILTER": "", "LDAP_GROUP_HR_ADMIN": HR_GROUP,
            "LDAP_GROUP_EXECUTIVE": EXEC_GROUP, "LDAP_TIMEOUT": 3.0,
            "LDAP_ATTR_DEPARTMENT": "", **overrides}

    def admin(self):
        """A connection as the directory's administrator, to change the company."""
        from ldap3 import Connection, Server

        connection = Connection(Server(self.url), ADMIN_DN, ADMIN_PASSWORD, auto_bind=True)
        return connection

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def start_slapd(folder: Path, ldif: str | None = None, tls: bool = False) -> Directory:
    if not (os.path.exists(SLAPD) and os.path.exists(SLAPADD)):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and slapd is missing (.ci/run installs it)", pytrace=False)
        pytest.skip("slapd is not installed (apt-get install slapd ldap-utils; .ci/run does)")
    (folder / "db").mkdir(parents=True)
    conf = folder / "slapd.conf"
    certificates = make_certificates(folder) if tls else None
    settings = slapd_conf(folder)
    if certificates:
        settings = (f"TLSCACertificateFile {certificates['ca']}\n"
                    f"TLSCertificateFile {certificates['cert']}\n"
                    f"TLSCertificateKeyFile {certificates['key']}\n") + settings
    conf.write_text(settings)
    data = folder / "company.ldif"
    data.write_text(ldif or company_ldif(), encoding="utf-8")
    subprocess.run([SLAPADD, "-f", str(conf), "-l", str(data)], check=True,
                   capture_output=True)
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    urls = url + "/"
    ldaps_url = ""
    if certificates:
        ldaps_url = f"ldaps://127.0.0.1:{free_port()}"
        urls += f" {ldaps_url}/"
    # -d 0: stay in the foreground (the fixture owns the process) and log nothing.
    process = subprocess.Popen([SLAPD, "-f", str(conf), "-h", urls, "-d", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return Directory(url=url, folder=folder, process=process,
                                 ldaps_url=ldaps_url, certificates=certificates)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("slapd did not start listening")


@pytest.fixture
def ldap_directory(tmp_path):
    directory = start_slapd(tmp_path / "slapd")
    yield directory
    directory.stop()
    shutil.rmtree(tmp_path / "slapd", ignore_errors=True)


@pytest.fixture
def tls_directory(tmp_path):
    """The same company, also on ldaps://, with StartTLS on ldap://, under a test CA."""
    directory = start_slapd(tmp_path / "slapd-tls", tls=True)
    yield directory
    directory.stop()
    shutil.rmtree(tmp_path / "slapd-tls", ignore_errors=True)
