"""A throw-away PostgreSQL cluster with SSL on, for the SSL-mode tests (issue 6).

The machine's shared PostgreSQL may or may not have SSL, and its configuration is not the
tests' to change: ``ssl_postgres`` starts a private cluster instead (``initdb`` into a temp
dir, a CA and a server certificate made here with ``cryptography``, trust auth), once per
module, and removes it afterwards. It skips with the reason when the PostgreSQL server
binaries are missing or the cluster does not start.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .live_servers import free_port

# initdb and postgres refuse to run as root; under root they run as this OS user.
PG_OS_USER = "postgres"
START_TIMEOUT = 30  # seconds pg_ctl waits for "accepting connections" on a loaded machine
_CMD_TIMEOUT = 60


class SSLPostgres(NamedTuple):
    """Where the cluster listens (a trust-auth URL, no query) and the CA that signed it."""

    url: str
    ca_path: Path


def find_bindir() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 timeout=10, check=True).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.SubprocessError):
            pass
    # Debian's pg_config (libpq-dev) may point at /usr/bin, where only client tools are;
    # the server binaries live per major version, newest first.
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                      key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                      reverse=True)
    candidates.extend(versions)
    for path in candidates:
        if all((path / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return path
    return None


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory: Path, common_name: str) -> tuple[Path, ec.EllipticCurvePrivateKey,
                                                          x509.Certificate]:
    """A self-signed CA; its certificate is written to ``<directory>/<common_name>.crt``."""
    # EC P-256: key generation is instant, where RSA would add a noticeable pause per key.
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    path = directory / f"{common_name}.crt"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def make_server_cert(directory: Path, ca_key: ec.EllipticCurvePrivateKey,
                     ca_cert: x509.Certificate) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 and localhost signed by the CA: (cert, key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost")).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        # verify-full checks the host the client dialled against these SANs: the IP
        # address for 127.0.0.1 URLs, the DNS name for localhost ones.
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.crt", directory / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_key_pem(key))
    # postgres refuses a key file others can read.
    key_path.chmod(0o600)
    return cert_path, key_path


class _Cluster:
    """One private cluster: ``start()`` it, ``stop()`` it; every command as the right user."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.as_user: list[str] = []
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam(PG_OS_USER)
            except KeyError:
                pytest.skip(f"running as root and there is no {PG_OS_USER!r} OS user to run "
                            "initdb/postgres as")
            runuser = shutil.which("runuser")
            if runuser is None:
                pytest.skip("running as root and runuser is missing: cannot run initdb as "
                            f"{PG_OS_USER!r}")
            self.as_user = [runuser, "-u", PG_OS_USER, "--"]
        self.root = Path(tempfile.mkdtemp(prefix="authkit-ssl-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.started = False
        # The user's own variables (PGDATA, PGPORT, PGSSLMODE…) must not steer this cluster.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.env.update(LC_ALL="C", LANG="C")

    def _chown(self, path: Path) -> None:
        if self.owner is not None:
            os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    def _run(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        # cwd is the temp dir: the postgres user may not be allowed into the caller's cwd.
        return subprocess.run([*self.as_user, *args], cwd=self.root, env=self.env, check=False,
                              capture_output=True, text=True, timeout=_CMD_TIMEOUT)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.strip().splitlines()[-lines:])

    def start(self) -> SSLPostgres:
        self._chown(self.root)
        certs = self.root / "certs"
        certs.mkdir()
        ca_path, ca_key, ca_cert = make_ca(certs, "authkit-test-ca")
        cert_path, key_path = make_server_cert(certs, ca_key, ca_cert)
        for path in (certs, cert_path, key_path):
            self._chown(path)
        init = self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"])
        if init.returncode != 0:
            pytest.skip(f"initdb failed ({init.returncode}): "
                        f"{(init.stderr or init.stdout).strip()[-800:]}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"""
# authkit tests: a private SSL cluster on 127.0.0.1 only
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.root}'
ssl = on
ssl_cert_file = '{cert_path}'
ssl_key_file = '{key_path}'
# Nothing here needs to survive a crash: skip the disk flushes to keep start-up fast.
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 30
shared_buffers = '16MB'
""")
        # hostssl first so an SSL connection is matched as such; host covers sslmode=disable.
        (self.data / "pg_hba.conf").write_text(
            "local   all all              trust\n"
            "hostssl all all 127.0.0.1/32 trust\n"
            "host    all all 127.0.0.1/32 trust\n")
        self._chown(self.data / "pg_hba.conf")
        started = self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                             str(self.log), "-w", "-t", str(START_TIMEOUT), "start"])
        self.started = True  # even a failed start may have left a postmaster to stop
        if started.returncode != 0:
            pytest.skip(f"the SSL test cluster did not start "
                        f"({(started.stderr or started.stdout).strip()[-300:]}); "
                        f"server log:\n{self.log_tail()}")
        url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._wait_ssl(url, ca_path)
        return SSLPostgres(url, ca_path)

    def _wait_ssl(self, url: str, ca_path: Path) -> None:
        # pg_ctl -w checks the Unix socket; make sure TCP with TLS answers too before the
        # tests rely on it, or skip with what went wrong.
        import psycopg

        try:
            with psycopg.connect(f"{url}?sslmode=verify-full&sslrootcert={ca_path}",
                                 connect_timeout=5):
                pass
        except psycopg.Error as exc:
            pytest.skip(f"the SSL test cluster does not accept TLS connections: "
                        f"{str(exc).strip()}; server log:\n{self.log_tail()}")

    def stop(self) -> None:
        try:
            if self.started:
                # Immediate: the data is thrown away, no checkpoint is worth waiting for.
                self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m",
                           "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def ssl_postgres() -> Iterator[SSLPostgres]:
    """A private PostgreSQL with SSL on, shared by a module's tests: ``(url, ca_path)``."""
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found via "
                    "pg_config --bindir or /usr/lib/postgresql/*/bin")
    cluster = _Cluster(bindir)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
