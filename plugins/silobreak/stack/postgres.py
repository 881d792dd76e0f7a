"""The project-local PostgreSQL cluster: warehouse, department sources, Airflow metadata, lineage.

The cluster lives in ``.silobreak/<stack>/postgres`` and listens on loopback only, on the stack's
port, with no Unix socket (so it never clashes with a system server). PostgreSQL refuses to run
as root, so when silobreak runs as root the server runs as the ``postgres`` OS user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from silobreak.errors import SilobreakError
from silobreak.settings import AIRFLOW_DB, LINEAGE_DB, SOURCES_DB, WAREHOUSE_DB, Stack
from silobreak.stack.processes import ensure_port_free, port_is_open, wait_until

DATABASES = (WAREHOUSE_DB, SOURCES_DB, AIRFLOW_DB, LINEAGE_DB)
PG_VERSIONS = ("17", "16", "15")


def bin_dir() -> Path:
    """Directory of initdb/pg_ctl: PG_BIN if set, else Debian's layout, else PATH."""
    if env := os.environ.get("PG_BIN"):
        return Path(env)
    for version in PG_VERSIONS:
        candidate = Path(f"/usr/lib/postgresql/{version}/bin")
        if (candidate / "pg_ctl").exists():
            return candidate
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    raise SilobreakError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found",
        hint="install them (Debian: apt-get install postgresql-15) or set PG_BIN to their folder",
    )


def _server_user() -> str | None:
    """The OS user to run the server as: 'postgres' when we are root, else ourselves."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise SilobreakError(
            "running as root, but there is no 'postgres' OS user to run the server as",
            hint="create it (useradd --system postgres) or run silobreak as an ordinary user",
        ) from exc
    return "postgres"


def _run(argv: list[str], *, user: str | None, what: str) -> None:
    result = subprocess.run(argv, user=user, capture_output=True, text=True, check=False, cwd="/")
    if result.returncode != 0:
        raise SilobreakError(f"{what} failed:\n{result.stdout}{result.stderr}".rstrip())


class Postgres:
    """One stack's cluster."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.home = stack.dir / "postgres"
        self.data = self.home / "data"
        self.log = stack.dir / "logs" / "postgres.log"
        self.port = stack.port("postgres")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists() and port_is_open(self.stack.host, self.port)

    def start(self) -> None:
        """Create the cluster on first use, start it, and make sure every database exists."""
        if self.running():
            self.ensure_databases()
            return
        ensure_port_free("postgres", self.stack.host, self.port)
        user = _server_user()
        if not (self.data / "PG_VERSION").exists():
            self._initdb(user)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.log.touch()
        if user:
            shutil.chown(self.log, user=user)
        self._configure_statement_log(user)
        # a stale pid file from a killed server would stop pg_ctl; it is safe to drop when the port is free
        (self.data / "postmaster.pid").unlink(missing_ok=True)
        _run(
            [str(bin_dir() / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60"],
            user=user,
            what=f"starting PostgreSQL (log: {self.log})",
        )
        wait_until(lambda: port_is_open(self.stack.host, self.port), what="PostgreSQL", timeout=30, log_file=self.log)
        self.ensure_databases()

    def _initdb(self, user: str | None) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        pwfile = self.home / ".pwfile"
        pwfile.write_text(self.stack.credentials.pg_password + "\n")
        pwfile.chmod(0o600)
        if user:
            _check_reachable(self.home, user)
            for path in (self.home, pwfile):
                shutil.chown(path, user=user)
        try:
            _run(
                [
                    str(bin_dir() / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    self.stack.pg_user,
                    "--pwfile",
                    str(pwfile),
                    "--auth-host=scram-sha-256",
                    "--auth-local=peer",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                user=user,
                what="initdb",
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# silobreak embedded stack\n"
                f"listen_addresses = '{self.stack.host}'\n"
                f"port = {self.port}\n"
                "unix_socket_directories = ''\n"
                "max_connections = 200\n"
                "shared_buffers = 256MB\n"
                "fsync = on\n"
                "log_line_prefix = '%m [%p] %u@%d '\n"
            )

    @property
    def statement_log_dir(self) -> Path:
        """Where the server writes its JSON log (``*.json``): the audit trail ingests department roles'
        statements from it (``log_statement`` is set per role by ``silobreak agreements apply``)."""
        return self.stack.dir / "logs" / "postgres"

    def _configure_statement_log(self, user: str | None) -> None:
        """JSON server log through the logging collector; also for clusters made by older versions."""
        self.statement_log_dir.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(self.statement_log_dir, user=user)
        (self.data / "silobreak_logging.conf").write_text(
            "# written by silobreak on every start: the JSON log the audit trail reads\n"
            "logging_collector = on\n"
            "log_destination = 'stderr,jsonlog'\n"
            f"log_directory = '{self.statement_log_dir}'\n"
            "log_filename = 'postgresql-%Y%m%d.log'\n"
            "log_rotation_age = 1d\n"
            "log_rotation_size = 0\n"
            "log_file_mode = 0640\n"
            "log_timezone = 'UTC'\n"
        )
        conf = self.data / "postgresql.conf"
        include = "include_if_exists = 'silobreak_logging.conf'"
        if include not in conf.read_text():
            with conf.open("a") as out:
                out.write(f"\n{include}\n")

    def stop(self) -> bool:
        if not (self.data / "postmaster.pid").exists():
            return False
        _run(
            [str(bin_dir() / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w"],
            user=_server_user(),
            what="stopping PostgreSQL",
        )
        return True

    def ensure_databases(self) -> None:
        with psycopg.connect(self.stack.dsn("postgres"), autocommit=True) as conn:
            existing = {row[0] for row in conn.execute("select datname from pg_database")}
            for name in DATABASES:
                if name not in existing:
                    conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def _check_reachable(path: Path, user: str) -> None:
    """The postgres OS user must be able to walk down to the data folder."""
    result = subprocess.run(["test", "-x", str(path.parent)], user=user, check=False)
    if result.returncode != 0:
        raise SilobreakError(
            f"the 'postgres' OS user cannot reach {path.parent} (a parent folder is not searchable)",
            hint="clone the repository where other users may traverse (chmod o+x on its parents)",
        )
