"""Where the embedded stack lives and how to reach it.

One stack is a folder under ``.silobreak/<name>/`` in the repository (ignored by git) holding the
Postgres cluster, the S3 objects, the Airflow home and ``stack.json``: the ports and credentials
every other part of silobreak reads. ``SILOBREAK_STACK`` picks the stack (``demo`` by default,
``test`` for the isolated stack of ``make test``), so both can run side by side.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path

from silobreak.errors import SilobreakError

REPO_ROOT = Path(os.environ.get("SILOBREAK_ROOT", Path(__file__).resolve().parents[2]))

# Each stack gets a block of ports so that `demo` and `test` never collide. SILOBREAK_PORT_BASE moves a
# whole block, so that two checkouts on one machine can each run their own test stack. The blocks lie
# below Linux's ephemeral range (32768-60999): there, a client's outgoing connection can hold one of
# our ports when a service starts, and the service cannot bind it.
PORT_BASES = {"demo": 25430, "test": 26430}
PORT_OFFSETS = {"postgres": 2, "s3": 3, "lineage": 4, "airflow": 5, "departments_api": 6, "data_docs": 7}

WAREHOUSE_DB = "warehouse"
AIRFLOW_DB = "airflow"
LINEAGE_DB = "lineage"
SOURCES_DB = "departments"
"""Database standing for the departments' own systems of record (one schema per department)."""

INBOX_BUCKET = "inbox"
"""Where departments drop files (one folder per department); silobreak only reads it."""
LANDING_BUCKET = "landing"
QUARANTINE_BUCKET = "quarantine"
BUCKETS = (INBOX_BUCKET, LANDING_BUCKET, QUARANTINE_BUCKET)


@dataclass(frozen=True)
class Credentials:
    """Secrets generated on first ``silobreak up`` and kept in the stack folder only."""

    pg_password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    s3_access_key: str = "S3RVER"  # s3rver accepts only its fixed development key pair
    s3_secret_key: str = "S3RVER"  # noqa: S105 - not a secret: s3rver's public dev key
    lineage_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    departments_api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    airflow_jwt_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    airflow_fernet_key: str = field(default_factory=lambda: _fernet_key())
    sharing_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    """Derives the HMAC key of pseudonyms in shared views and the departments' login passwords."""


def _fernet_key() -> str:
    import base64

    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class Stack:
    """Addresses of one embedded stack; everything that needs a DSN or an endpoint asks here."""

    name: str
    host: str = "127.0.0.1"
    pg_user: str = "silobreak"

    @property
    def dir(self) -> Path:
        return REPO_ROOT / ".silobreak" / self.name

    def port(self, service: str) -> int:
        env = os.environ.get(f"SILOBREAK_{service.upper()}_PORT")
        if env:
            return int(env)
        base_env = os.environ.get("SILOBREAK_PORT_BASE")
        base = int(base_env) if base_env else PORT_BASES.get(self.name)
        if base is None:
            raise SilobreakError(
                f"unknown stack {self.name!r}",
                hint=f"set SILOBREAK_STACK to one of {', '.join(PORT_BASES)}, or set SILOBREAK_PORT_BASE",
            )
        return base + PORT_OFFSETS[service]

    @cached_property
    def credentials(self) -> Credentials:
        path = self.dir / "credentials.json"
        if path.exists():
            stored = json.loads(path.read_text())
            creds = Credentials(**stored)
            if set(asdict(creds)) != set(stored):  # a newer silobreak added a secret: keep it too
                path.write_text(json.dumps(asdict(creds), indent=2))
            return creds
        creds = Credentials()
        self.dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(asdict(creds), indent=2))
        return creds

    def dsn(self, database: str = WAREHOUSE_DB) -> str:
        """libpq connection string for psycopg and dbt's profile."""
        return (
            f"host={self.host} port={self.port('postgres')} dbname={database} "
            f"user={self.pg_user} password={self.credentials.pg_password}"
        )

    def url(self, database: str = WAREHOUSE_DB, driver: str = "postgresql") -> str:
        """SQLAlchemy-style URL (Airflow's metadata database)."""
        return (
            f"{driver}://{self.pg_user}:{self.credentials.pg_password}@{self.host}:{self.port('postgres')}/{database}"
        )

    @property
    def s3_endpoint(self) -> str:
        return f"{self.host}:{self.port('s3')}"

    @property
    def lineage_url(self) -> str:
        return f"http://{self.host}:{self.port('lineage')}"

    @property
    def departments_api_url(self) -> str:
        """The departments' HTTP API (Traffic Police serves its accidents there)."""
        return f"http://{self.host}:{self.port('departments_api')}"

    @property
    def airflow_url(self) -> str:
        return f"http://{self.host}:{self.port('airflow')}"

    @property
    def postgres_namespace(self) -> str:
        """OpenLineage namespace of the warehouse server (naming spec: postgres://host:port)."""
        return f"postgres://{self.host}:{self.port('postgres')}"


def current_stack() -> Stack:
    """The stack selected by ``SILOBREAK_STACK`` (default ``demo``)."""
    return Stack(name=os.environ.get("SILOBREAK_STACK", "demo"))
