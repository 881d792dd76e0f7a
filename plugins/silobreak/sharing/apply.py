"""Apply the agreements to Postgres: roles, one schema of views per department, grants, nothing else.

Per consuming department: a group role ``dept_<d>`` (NOLOGIN) holding the grants, and a login role
``dept_<d>_svc`` for its services (member of the group; every statement it runs is logged for the
audit trail). Its schema ``shared_<d>`` holds one view per agreed dataset, owned by the platform,
selecting only the agreed columns (masked or pseudonymised unless granted in clear) and only the
agreed rows. Apply rebuilds each department's schema from scratch in one transaction, so what a
department can read is exactly what its agreements in force say: ended agreements are gone the
moment apply commits, and anything not agreed is denied because it was never granted.

Every identifier is quoted with psycopg.sql and every row-filter value is a literal.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg import sql

from silobreak.errors import SilobreakError
from silobreak.settings import AIRFLOW_DB, LINEAGE_DB, SOURCES_DB, WAREHOUSE_DB, Stack
from silobreak.sharing import audit
from silobreak.sharing.catalog import MASTER_SCHEMA, ColumnClass, Dataset
from silobreak.sharing.model import AgreementFile
from silobreak.sharing.policy import grants, problems

FUNCTIONS_SCHEMA = "sharing"
PRIVATE_SCHEMA = "sharing_private"
ROLE_PREFIX = "dept_"
SERVICE_USER = "svc"

PLATFORM_DDL = """
create schema if not exists sharing;
create schema if not exists sharing_private;
revoke all on schema sharing_private from public;
grant usage on schema sharing to public;
comment on schema sharing is 'Masking functions used by the departments'' shared views.';
comment on schema sharing_private is 'The pseudonym key and what apply last did; never granted to departments.';

create or replace function sharing.mask_id(value text) returns text
    language sql immutable parallel safe
    return case when value is null then null
                when length(value) <= 10 then repeat('*', length(value))
                else left(value, 6) || repeat('*', length(value) - 10) || right(value, 4) end;
comment on function sharing.mask_id(text) is 'ID or credit code as its first 6 and last 4 characters.';

create or replace function sharing.mask_mobile(value text) returns text
    language sql immutable parallel safe
    return case when value is null then null
                when length(value) < 7 then repeat('*', length(value))
                else left(value, 3) || repeat('*', length(value) - 7) || right(value, 4) end;
comment on function sharing.mask_mobile(text) is 'A mobile as 138****1234.';

create or replace function sharing.mask_name(value text) returns text
    language sql immutable parallel safe
    return case when value is null then null
                else left(value, 1) || repeat('*', greatest(length(value) - 1, 0)) end;
comment on function sharing.mask_name(text) is 'A name as its first character and a star per other character (张**).';

create or replace function sharing.mask_text(value text) returns text
    language sql immutable parallel safe
    return case when value is null then null else '***' end;

create table if not exists sharing_private.pseudonym_key (
    singleton boolean primary key default true check (singleton),
    inner_pad bytea not null,
    outer_pad bytea not null
);
comment on table sharing_private.pseudonym_key is
    'HMAC-SHA256 pads of the stack''s pseudonym key (key xor 0x36 / 0x5c); read by views as their owner.';

create table if not exists sharing_private.applied (
    agreement   text primary key,
    consumer    text not null,
    dataset     text not null,
    purpose     text not null,
    legal_basis text not null,
    starts      date not null,
    ends        date not null,
    columns     jsonb not null,
    row_filter  jsonb,
    freshness_hours integer,
    sha256      text not null,
    applied_at  timestamptz not null
);
comment on table sharing_private.applied is 'The agreements in force as of the last apply (what the grants say).';
"""


def department_role(department: str) -> str:
    return f"{ROLE_PREFIX}{department}"


def login_role(department: str, user: str = SERVICE_USER) -> str:
    return f"{ROLE_PREFIX}{department}_{user}"


def shared_schema(department: str) -> str:
    return f"shared_{department}"


def _derive(stack: Stack, label: str) -> bytes:
    return hmac.new(stack.credentials.sharing_secret.encode(), label.encode(), hashlib.sha256).digest()


def login_password(stack: Stack, department: str, user: str = SERVICE_USER) -> str:
    """A department login's password, derived from the stack's secret (never stored)."""
    return _derive(stack, f"login:{login_role(department, user)}").hex()[:32]


def pseudonym_key(stack: Stack) -> bytes:
    """The HMAC key of pseudonyms: 32 bytes derived from the stack's secret (credentials.json)."""
    return _derive(stack, "pseudonym")


def pseudonym(stack: Stack, value: str) -> str:
    """What a view shows for ``value`` shared as a pseudonym (for tests and governance look-ups)."""
    return hmac.new(pseudonym_key(stack), value.encode(), hashlib.sha256).hexdigest()


def _pads(key: bytes) -> tuple[bytes, bytes]:
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def _masked(column: ColumnClass, ref: sql.Composable) -> sql.Composable:
    """How a column is masked, by what it holds."""
    name, kind = column.name, column.data_type.lower()
    text = sql.SQL("{}::text").format(ref)
    if any(k in name for k in ("resident_id", "id_card", "credit_code", "licence_no")):
        return sql.SQL("sharing.mask_id({})").format(text)
    if any(k in name for k in ("mobile", "phone")):
        return sql.SQL("sharing.mask_mobile({})").format(text)
    if name.endswith("name"):
        return sql.SQL("sharing.mask_name({})").format(text)
    if kind == "date":
        return sql.SQL("date_trunc('year', {})::date").format(ref)
    if kind == "text":
        return sql.SQL("sharing.mask_text({})").format(text)
    return sql.SQL("null::{}").format(sql.SQL(_safe_type(kind)))


def _safe_type(kind: str) -> str:
    allowed = {"bigint", "integer", "numeric", "boolean", "timestamptz", "uuid", "date", "text", "double precision"}
    return kind if kind in allowed else "text"


def _pseudonymised(ref: sql.Composable) -> sql.Composable:
    return sql.SQL("encode(sha256(k.outer_pad || sha256(k.inner_pad || convert_to({}::text, 'UTF8'))), 'hex')").format(
        ref
    )


def view_sql(schema: str, file: AgreementFile, dataset: Dataset) -> sql.Composed:
    """The department's view of one dataset under one agreement."""
    agreement = file.agreement
    items: list[sql.Composable] = []
    needs_key = False
    for grant in grants(file, dataset):
        ref = sql.SQL("t.{}").format(sql.Identifier(grant.column.name))
        if grant.access == "clear":
            items.append(ref)
        elif grant.access == "masked":
            items.append(sql.SQL("{} as {}").format(_masked(grant.column, ref), sql.Identifier(grant.column.name)))
        else:
            needs_key = True
            alias = sql.Identifier(f"{grant.column.name}_pseudonym")
            items.append(sql.SQL("{} as {}").format(_pseudonymised(ref), alias))
    source = sql.SQL("{}.{} t").format(sql.Identifier(MASTER_SCHEMA), sql.Identifier(agreement.dataset))
    if needs_key:
        source = sql.SQL("{} cross join {}.pseudonym_key k").format(source, sql.Identifier(PRIVATE_SCHEMA))
    where: sql.Composable = sql.SQL("")
    if agreement.row_filter is not None:
        rf = agreement.row_filter
        col = sql.SQL("t.{}::text").format(sql.Identifier(rf.column))
        if rf.in_ is not None:
            test = sql.SQL("{} = any({})").format(col, sql.Literal([str(v) for v in rf.in_]))
        else:
            test = sql.SQL("exists (select from unnest({}::text[]) p where starts_with({}, p))").format(
                sql.Literal(rf.starts_with), col
            )
        where = sql.SQL(" where {}").format(test)
    return sql.SQL("create view {}.{} with (security_barrier) as select {} from {}{}").format(
        sql.Identifier(schema), sql.Identifier(agreement.dataset), sql.SQL(", ").join(items), source, where
    )


@dataclass
class ApplyResult:
    granted: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    """Agreements in force whose dataset is not built yet (dbt has not run)."""
    departments: list[str] = field(default_factory=list)
    changes: int = 0


def _harden(conn: psycopg.Connection[Any]) -> None:
    """Deny by default beyond Postgres's own defaults: no database for PUBLIC, no temporary objects and no
    procedural code (which could hide a table name from the statement log) in the warehouse."""
    for database in (WAREHOUSE_DB, SOURCES_DB, AIRFLOW_DB, LINEAGE_DB, "postgres"):
        conn.execute(sql.SQL("revoke connect, temporary on database {} from public").format(sql.Identifier(database)))
    conn.execute("revoke usage on language plpgsql from public")
    conn.execute("revoke all on schema public from public")


def _existing_departments(conn: psycopg.Connection[Any]) -> set[str]:
    rows = conn.execute(
        "select substr(rolname, %s) from pg_roles where rolname like %s and not rolcanlogin",
        (len(ROLE_PREFIX) + 1, ROLE_PREFIX.replace("_", r"\_") + "%"),
    ).fetchall()
    return {r[0] for r in rows}


def _ensure_roles(conn: psycopg.Connection[Any], stack: Stack, department: str, users: list[str]) -> None:
    """The group role, the service login and the personal logins; logins no longer listed lose access."""
    group_name = department_role(department)
    group = sql.Identifier(group_name)
    wanted = {login_role(department, user): user for user in [SERVICE_USER, *users]}
    exists = {r[0] for r in conn.execute("select rolname from pg_roles where rolname = any(%s)",
                                          ([group_name, *wanted],))}  # fmt: skip
    if group_name not in exists:
        conn.execute(sql.SQL("create role {} nologin").format(group))
    conn.execute(sql.SQL("grant connect on database {} to {}").format(sql.Identifier(WAREHOUSE_DB), group))
    for name, user in wanted.items():
        login = sql.Identifier(name)
        if name not in exists:
            conn.execute(sql.SQL("create role {} login").format(login))
        password = sql.Literal(login_password(stack, department, user))
        conn.execute(sql.SQL("alter role {} with login inherit password {}").format(login, password))
        conn.execute(sql.SQL("grant {} to {}").format(group, login))
        # every statement of the login goes to the server's JSON log, from which reads enter the audit chain;
        # log_statement is a superuser setting, so the department cannot turn it off
        conn.execute(sql.SQL("alter role {} set log_statement = 'all'").format(login))
        conn.execute(
            sql.SQL("alter role {} set search_path = {}").format(login, sql.Identifier(shared_schema(department)))
        )
    for (stale,) in conn.execute(
        "select m.rolname from pg_auth_members a join pg_roles g on g.oid = a.roleid "
        "join pg_roles m on m.oid = a.member where g.rolname = %s and m.rolname <> all(%s)",
        (group_name, list(wanted)),
    ).fetchall():
        conn.execute(sql.SQL("revoke {} from {}").format(group, sql.Identifier(stale)))
        conn.execute(sql.SQL("alter role {} nologin").format(sql.Identifier(stale)))


def department_logins(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """Login role -> department, for every login that is a member of a department's group role."""
    rows = conn.execute(
        "select m.rolname, substr(g.rolname, %s) from pg_auth_members a join pg_roles g on g.oid = a.roleid "
        "join pg_roles m on m.oid = a.member where g.rolname like %s and not g.rolcanlogin and m.rolcanlogin",
        (len(ROLE_PREFIX) + 1, ROLE_PREFIX.replace("_", r"\_") + "%"),
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def _master_columns(conn: psycopg.Connection[Any], dataset: str) -> set[str] | None:
    rows = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s",
        (MASTER_SCHEMA, dataset),
    ).fetchall()
    return {r[0] for r in rows} or None


def _digest(file: AgreementFile) -> str:
    return hashlib.sha256(file.text.encode()).hexdigest()


def _applied_row(file: AgreementFile, dataset: Dataset, now: datetime) -> tuple[Any, ...]:
    a = file.agreement
    columns = [{"name": g.column.name, "access": g.access, "level": g.column.level} for g in grants(file, dataset)]
    row_filter = a.row_filter.model_dump(by_alias=True, exclude_none=True) if a.row_filter else None
    return (
        a.id, a.consumer, a.dataset, a.purpose, f"{a.legal_basis.kind}: {a.legal_basis.reference}",
        a.start, a.end, json.dumps(columns), json.dumps(row_filter) if row_filter else None,
        a.freshness.max_age_hours if a.freshness else None, _digest(file), now,
    )  # fmt: skip


def _author(file: AgreementFile) -> str | None:
    """Who last committed the agreement file (git), if it is in a repository."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%an <%ae> %h", "--", file.path.name],
            cwd=file.path.parent, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _changes(
    files: list[AgreementFile], before: dict[str, tuple[Any, ...]], granted: set[str], today: date, base: audit.Entry
) -> list[audit.Entry]:
    """Audit entries for what this apply changed: agreements granted or changed, and revoked."""
    entries = []
    by_id = {f.agreement.id: f for f in files}
    for file in files:
        a, old = file.agreement, before.get(file.agreement.id)
        if a.id in granted and (old is None or old[1] != _digest(file)):
            detail = {
                "agreement": a.id,
                "file": file.path.name,
                "sha256": _digest(file),
                "start": str(a.start),
                "end": str(a.end),
                "columns": [c.model_dump(exclude_none=True) for c in a.columns],
                "row_filter": a.row_filter.model_dump(by_alias=True, exclude_none=True) if a.row_filter else None,
            }
            action = "agreement.granted" if old is None else "agreement.changed"
            entries.append(
                replace(base, action=action, department=a.consumer, dataset=a.dataset, purpose=a.purpose, detail=detail)
            )
    for agreement_id, (_, sha, consumer, dataset, purpose) in before.items():
        current = by_id.get(agreement_id)
        if current is not None and agreement_id in granted:
            continue
        if current is None:
            why = "file removed"
        elif current.agreement.end < today:
            why = f"ended {current.agreement.end}"
        elif current.agreement.start > today:
            why = f"starts {current.agreement.start}"
        else:
            why = "master register missing"
        entries.append(
            replace(
                base,
                action="agreement.revoked",
                department=consumer,
                dataset=dataset,
                purpose=purpose,
                detail={"agreement": agreement_id, "sha256": sha, "why": why},
            )
        )
    return entries


def apply(
    stack: Stack,
    conn: psycopg.Connection[Any],
    files: list[AgreementFile],
    catalog: dict[str, Dataset],
    today: date,
    actor: str | None = None,
    logins: dict[str, list[str]] | None = None,
) -> ApplyResult:
    """Make the grants say exactly what the agreements in force say, in one transaction, and record
    every agreement change and revocation in the audit chain."""
    found = [p for f in files for p in problems(f, catalog, today, ended_is_error=False)]
    if found:
        raise SilobreakError("agreements not applied:\n" + "\n".join(f"  {p}" for p in found),
                             hint="fix them (silobreak agreements check), then apply again")  # fmt: skip
    actor = actor or getpass.getuser()
    now = datetime.now(UTC)
    result = ApplyResult()
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.sharing_apply'))")
        conn.execute(PLATFORM_DDL)
        audit.ensure_audit_schema(conn)
        inner, outer = _pads(pseudonym_key(stack))
        conn.execute(
            "insert into sharing_private.pseudonym_key values (true, %s, %s) on conflict (singleton) "
            "do update set inner_pad = excluded.inner_pad, outer_pad = excluded.outer_pad",
            (inner, outer),
        )
        _harden(conn)
        before = {r[0]: r for r in conn.execute("select agreement, sha256, consumer, dataset, purpose "
                                                "from sharing_private.applied")}  # fmt: skip
        in_force = [f for f in files if f.agreement.active(today)]
        logins = logins or {}
        departments = sorted(_existing_departments(conn) | {f.agreement.consumer for f in files} | set(logins))
        conn.execute("delete from sharing_private.applied")
        for department in departments:
            _ensure_roles(conn, stack, department, logins.get(department, []))
            schema = sql.Identifier(shared_schema(department))
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(schema))
            mine = [f for f in in_force if f.agreement.consumer == department]
            if not mine:
                continue
            conn.execute(sql.SQL("create schema {}").format(schema))
            conn.execute(
                sql.SQL("grant usage on schema {} to {}").format(schema, sql.Identifier(department_role(department)))
            )
            for file in mine:
                a = file.agreement
                dataset = catalog[a.dataset]
                present = _master_columns(conn, a.dataset)
                if present is None:
                    result.waiting.append(a.id)
                    continue
                missing = [g.column.name for g in grants(file, dataset) if g.column.name not in present]
                if missing:
                    raise SilobreakError(
                        f"{file.path}: {MASTER_SCHEMA}.{a.dataset} has no column(s) {', '.join(missing)} in Postgres",
                        hint="rebuild master data (silobreak run) or fix the dbt model's documentation",
                    )
                conn.execute(view_sql(shared_schema(department), file, dataset))
                conn.execute(sql.SQL("grant select on {}.{} to {}").format(
                    schema, sql.Identifier(a.dataset), sql.Identifier(department_role(department))))  # fmt: skip
                conn.execute(
                    "insert into sharing_private.applied values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    _applied_row(file, dataset, now),
                )
                result.granted.append(a.id)
            result.departments.append(department)
        entries = _changes(files, before, set(result.granted), today, audit.Entry(now, actor, ""))
        result.revoked = [e.detail["agreement"] for e in entries if e.detail and e.action == "agreement.revoked"]
        head = audit.append(conn, entries)
        result.changes = len(entries)
    audit.write_head(stack, head)
    return result
