"""The audit trail: an append-only, hash-chained log of agreement changes and reads of shared data.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields, so editing
or deleting any entry breaks every later link. Postgres refuses UPDATE, DELETE and TRUNCATE on the
table (a trigger), and the newest link is also written to the stack folder (``audit-head.json``),
so that cutting entries off the end is detected too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from silobreak.settings import Stack

GENESIS = "0" * 64

DDL = """
create schema if not exists audit;
revoke all on schema audit from public;
create table if not exists audit.log (
    seq         bigint primary key,
    at          timestamptz not null,
    actor       text not null,
    action      text not null,
    department  text,
    dataset     text,
    purpose     text,
    detail      text not null,
    prev_hash   text not null,
    hash        text not null unique
);
comment on table audit.log is
    'Agreement changes and reads of shared data; append-only and hash-chained (silobreak audit verify).';
create or replace function audit.refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit.log is append-only: % is not allowed', tg_op;
end $$;
create or replace trigger log_append_only before update or delete on audit.log
    for each row execute function audit.refuse_change();
create or replace trigger log_no_truncate before truncate on audit.log
    for each statement execute function audit.refuse_change();
create index if not exists log_read_idx on audit.log (dataset, at) where action = 'read';
"""


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    department: str | None = None
    dataset: str | None = None
    purpose: str | None = None
    detail: dict[str, Any] | None = None

    def detail_text(self) -> str:
        return json.dumps(self.detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(seq: int, prev_hash: str, at: datetime, fields: tuple[str | None, ...], detail: str) -> str:
    body = json.dumps(
        [seq, prev_hash, at.astimezone(UTC).isoformat(), *fields, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def ensure_audit_schema(conn: psycopg.Connection[Any]) -> None:
    conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.audit_schema'))")
    conn.execute(DDL)


def append(conn: psycopg.Connection[Any], entries: list[Entry]) -> tuple[int, str] | None:
    """Append entries in order inside the caller's transaction; returns the new head (seq, hash)."""
    if not entries:
        return None
    conn.execute("select pg_advisory_xact_lock(hashtext('silobreak.audit_append'))")
    last = conn.execute("select seq, hash from audit.log order by seq desc limit 1").fetchone()
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    rows = []
    for entry in entries:
        seq += 1
        detail = entry.detail_text()
        fields = (entry.actor, entry.action, entry.department, entry.dataset, entry.purpose)
        digest = entry_hash(seq, prev, entry.at, fields, detail)
        rows.append((seq, entry.at, *fields, detail, prev, digest))
        prev = digest
    with conn.cursor() as cur:
        cur.executemany(
            "insert into audit.log (seq, at, actor, action, department, dataset, purpose, detail, prev_hash, hash) "
            "values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            rows,
        )
    return seq, prev


def write_head(stack: Stack, head: tuple[int, str] | None) -> None:
    """Remember the newest link outside the database (after the appending transaction committed)."""
    if head is None:
        return
    path = stack.dir / "audit-head.json"
    path.write_text(json.dumps({"seq": head[0], "hash": head[1]}))


def record(stack: Stack, conn: psycopg.Connection[Any], entries: list[Entry]) -> None:
    """Append and commit, then move the head: for callers without a transaction of their own."""
    with conn.transaction():
        ensure_audit_schema(conn)
        head = append(conn, entries)
    write_head(stack, head)


@dataclass(frozen=True)
class Verdict:
    entries: int
    first_bad: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(stack: Stack, conn: psycopg.Connection[Any]) -> Verdict:
    """Recompute the chain; the first entry whose link or content does not match is reported."""
    with conn.transaction():
        ensure_audit_schema(conn)
    prev, expected_seq, count = GENESIS, 1, 0
    with conn.transaction(), conn.cursor(name="audit_verify") as cur:
        cur.itersize = 5000
        cur.execute(
            "select seq, at, actor, action, department, dataset, purpose, detail, prev_hash, hash "
            "from audit.log order by seq"
        )
        for seq, at, actor, action, department, dataset, purpose, detail, prev_hash, digest in cur:
            count += 1
            if seq != expected_seq:
                return Verdict(count, expected_seq, f"entry {expected_seq} is missing (next is {seq})")
            if prev_hash != prev:
                return Verdict(count, seq, f"entry {seq} does not link to entry {seq - 1} (deleted or edited)")
            if entry_hash(seq, prev_hash, at, (actor, action, department, dataset, purpose), detail) != digest:
                return Verdict(count, seq, f"entry {seq} was edited: its content does not match its hash")
            prev, expected_seq = digest, seq + 1
    head_file = stack.dir / "audit-head.json"
    if head_file.exists():
        head = json.loads(head_file.read_text())
        if head["seq"] >= expected_seq:
            return Verdict(count, expected_seq, f"entries {expected_seq}..{head['seq']} were removed from the end")
        row = conn.execute("select hash from audit.log where seq = %s", (head["seq"],)).fetchone()
        if row is None or row[0] != head["hash"]:
            return Verdict(count, head["seq"], f"entry {head['seq']} differs from the recorded head")
    return Verdict(count, None, None)
