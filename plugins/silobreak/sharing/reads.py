"""Reads of shared data, from the server's JSON log into the audit chain.

``apply`` sets ``log_statement = 'all'`` on every department login, so Postgres writes each of their
statements (any client: psql, a BI tool, a DAG) to the stack's JSON log, whatever the transaction
does afterwards: a rolled-back read is still a read. Ingestion follows the log files from where it
stopped, and records each statement that names a master register as a ``read`` entry with the
department, the dataset, the purpose of the agreement in force and the rows it covered (the
agreement's row filter), marked ``failed`` when Postgres answered with an error; a statement
that names none is recorded as ``statement``. Naming is
judged on the statement's identifiers, which over-counts rather than misses: department logins
may not run procedural code or create temporary objects that could build a name at run time.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from silobreak.errors import SilobreakError
from silobreak.settings import WAREHOUSE_DB, Stack
from silobreak.sharing import audit
from silobreak.sharing.apply import department_logins
from silobreak.stack.postgres import Postgres

STATE_DDL = """
create table if not exists audit.ingested (
    file      text primary key,
    position  bigint not null
);
comment on table audit.ingested is 'How far each server log file has been read into audit.log.';
"""
_STATEMENT = re.compile(r"^(?:statement|execute [^:]*): (.*)$", re.DOTALL)
_WORD = re.compile(r'"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*)')


def identifiers(statement: str) -> set[str]:
    """Every word and quoted identifier of a statement, as Postgres would fold it."""
    found = set()
    for quoted, bare in _WORD.findall(statement):
        found.add(quoted.replace('""', '"') if quoted else bare.lower())
    return found


def _at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entry["timestamp"]).replace(" UTC", "+00:00"))  # log_timezone is UTC


def _in_force(conn: psycopg.Connection[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    conn.execute("create schema if not exists sharing_private")
    exists = conn.execute("select to_regclass('sharing_private.applied')").fetchone()
    if not exists or exists[0] is None:
        return {}
    rows = conn.execute(
        "select consumer, dataset, agreement, purpose, columns, row_filter from sharing_private.applied"
    ).fetchall()
    return {(r[0], r[1]): {"agreement": r[2], "purpose": r[3], "columns": r[4], "row_filter": r[5]} for r in rows}


def _parse(lines: list[str], logins: dict[str, str]) -> list[dict[str, Any]]:
    parsed = []
    for line in lines:
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(entry, dict) and entry.get("user") in logins:
            parsed.append(entry)
    return parsed


def _failed(entries: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(session, statement) of department statements that ended in an error: nothing was read."""
    return {
        (str(e.get("session_id")), str(e.get("statement")))
        for e in entries
        if e.get("error_severity") in ("ERROR", "FATAL") and e.get("statement") is not None
    }


def _entries(
    entry: dict[str, Any],
    logins: dict[str, str],
    registers: set[str],
    agreements: dict[tuple[str, str], dict[str, Any]],
    failed: set[tuple[str, str]],
) -> list[audit.Entry]:
    department = logins.get(str(entry.get("user")))
    if department is None or entry.get("dbname") != WAREHOUSE_DB or entry.get("error_severity") != "LOG":
        return []
    statement = _STATEMENT.match(str(entry.get("message", "")))
    if statement is None:
        return []
    text = statement.group(1)
    at, actor = _at(entry), str(entry["user"])
    session: dict[str, Any] = {
        "session": entry.get("session_id"),
        "client": entry.get("application_name"),
        "statement": text[:2000],
    }
    if (str(entry.get("session_id")), text) in failed:
        session["failed"] = True
    named = sorted(identifiers(text) & registers)
    if not named:
        return [audit.Entry(at, actor, "statement", department, None, None, session)]
    out = []
    for dataset in named:
        agreement = agreements.get((department, dataset))
        detail = dict(session)
        if agreement is not None:
            detail.update(
                agreement=agreement["agreement"], columns=agreement["columns"], row_filter=agreement["row_filter"]
            )
        purpose = agreement["purpose"] if agreement else None
        out.append(audit.Entry(at, actor, "read", department, dataset, purpose, detail))
    return out


def ingest(stack: Stack, conn: psycopg.Connection[Any], log_dir: Path | None = None) -> int:
    """Append the reads logged since the last ingestion; returns how many entries were added."""
    log_dir = log_dir or Postgres(stack).statement_log_dir
    setting = conn.execute("select current_setting('log_destination')").fetchone()
    if setting is None or "jsonlog" not in setting[0]:
        raise SilobreakError(
            "the stack's PostgreSQL does not write its JSON statement log, so reads could not be audited",
            hint="restart the stack once (silobreak down, then silobreak up) to turn it on",
        )
    added = 0
    with conn.transaction():
        audit.ensure_audit_schema(conn)
        conn.execute(STATE_DDL)
        conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.audit_ingest'))")
        registers = {r[0] for r in conn.execute("select tablename from pg_tables where schemaname = 'master'")}
        agreements = _in_force(conn)
        logins = department_logins(conn)
        positions = dict(conn.execute("select file, position from audit.ingested").fetchall())
        head = None
        for path in sorted(log_dir.glob("*.json")):
            start = positions.get(path.name, 0)
            with path.open("rb") as log:
                log.seek(start)
                chunk = log.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]  # a line being written stays for next time
            if not complete:
                continue
            logged = _parse(complete.decode("utf-8", "replace").splitlines(), logins)
            failed = _failed(logged)
            entries = [e for entry in logged for e in _entries(entry, logins, registers, agreements, failed)]
            head = audit.append(conn, entries) or head
            added += len(entries)
            conn.execute(
                "insert into audit.ingested values (%s, %s) "
                "on conflict (file) do update set position = excluded.position",
                (path.name, start + len(complete)),
            )
    audit.write_head(stack, head)
    return added
