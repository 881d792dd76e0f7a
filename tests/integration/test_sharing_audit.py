"""The audit trail: reads over plain Postgres connections are recorded with their purpose, the chain
detects edits and deletions, and a resident can see who read their records."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from typing import Any

import psycopg
import pytest

from silobreak.settings import Stack
from silobreak.sharing import audit, citizen, reads
from silobreak.warehouse import connect
from tests.integration.test_sharing import applied, department, master  # noqa: F401 - the fixture is shared

MARKER = "select master_person.* from master_person where true"
RUN = uuid.uuid4().hex[:8]
"""Tells this run's reads from those of earlier runs on a kept stack."""


def ingest_until(stack: Stack, marker: str) -> int:
    """The server's logging collector writes asynchronously: ingest until the read has arrived."""
    deadline = time.monotonic() + 20
    while True:
        with connect(stack, autocommit=True) as conn:
            reads.ingest(stack, conn)
            row = conn.execute(
                "select count(*) from audit.log where action = 'read' and detail like %s", (f"%{marker}%",)
            ).fetchone()
        if (row and row[0]) or time.monotonic() > deadline:
            return row[0] if row else 0
        time.sleep(0.5)


def test_a_plain_sql_read_is_recorded_with_who_what_when_and_purpose(stack: Stack, applied: Any) -> None:  # noqa: F811
    with department(stack, "civil_affairs") as conn:
        conn.execute("begin")
        conn.execute(MARKER + f" and 'rolled back {RUN}' <> ''")
        conn.execute("rollback")  # a rolled-back read is a read all the same
    found = ingest_until(stack, f"rolled back {RUN}")
    assert found == 1
    row = master(stack, "select actor, department, dataset, purpose, detail from audit.log "
                        f"where detail like '%rolled back {RUN}%'")[0]  # fmt: skip
    assert row[:4] == ("dept_civil_affairs_svc", "civil_affairs", "master_person",
                       "Offer the elderly allowance to residents born in Bao'an.")  # fmt: skip
    assert '"row_filter":{"column":"resident_id","starts_with":["440306"]}' in row[4]
    assert '"failed"' not in row[4]


def test_a_denied_read_is_recorded_as_failed(stack: Stack, applied: Any) -> None:  # noqa: F811
    with department(stack, "civil_affairs") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"select * from shared_health.master_person where 'denied {RUN}' <> ''")
    assert ingest_until(stack, f"denied {RUN}") == 1
    detail = master(stack, f"select detail from audit.log where detail like '%denied {RUN}%'")[0][0]
    assert '"failed":true' in detail


def test_a_resident_sees_which_departments_read_their_records(stack: Stack, applied: Any) -> None:  # noqa: F811
    with department(stack, "health") as conn:
        conn.execute(MARKER + " and 'health reads' <> ''").fetchall()
    ingest_until(stack, "health reads")
    baoan = master(stack, "select resident_id from master.master_person where resident_id like '440306%' limit 1")[0][0]
    other = master(stack, "select resident_id from master.master_person where resident_id not like '440306%' limit 1")
    with connect(stack) as conn:
        read_baoan = citizen.who_read(conn, baoan.lower())
        read_other = citizen.who_read(conn, other[0][0])
    assert {"health", "civil_affairs"} <= {r.department for r in read_baoan}
    assert "health" in {r.department for r in read_other}
    assert "civil_affairs" not in {r.department for r in read_other}, "outside civil affairs' row filter"
    assert all(r.purpose for r in read_baoan)
    with connect(stack) as conn, pytest.raises(Exception, match="neither a resident ID"):
        citizen.who_read(conn, "not an id")


def test_the_log_refuses_updates_and_deletes(stack: Stack, applied: Any) -> None:  # noqa: F811
    with connect(stack) as conn, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        conn.execute("update audit.log set purpose = 'nothing' where seq = 1")
    with connect(stack) as conn, pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        conn.execute("delete from audit.log where seq = 1")


def verify_cli(stack: Stack) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SILOBREAK_STACK": stack.name}
    return subprocess.run([sys.executable, "-m", "silobreak", "audit", "verify"], env=env, capture_output=True,
                          text=True, check=False)  # fmt: skip


def test_an_edited_or_deleted_entry_fails_verification(stack: Stack, applied: Any) -> None:  # noqa: F811
    with connect(stack, autocommit=True) as conn:
        assert audit.verify(stack, conn).ok
    ok = verify_cli(stack)
    assert ok.returncode == 0 and "intact" in ok.stderr
    with connect(stack) as conn:  # a superuser can switch the trigger off: the chain still tells
        conn.execute("alter table audit.log disable trigger log_append_only")
        conn.execute("update audit.log set purpose = 'something else' where seq = 2")
        verdict = audit.verify(stack, conn)
        assert verdict.first_bad == 2 and "edited" in str(verdict.problem)
        conn.rollback()
    with connect(stack) as conn:
        conn.execute("alter table audit.log disable trigger log_append_only")
        conn.execute("delete from audit.log where seq = 3")
        verdict = audit.verify(stack, conn)
        assert verdict.first_bad == 3 and "missing" in str(verdict.problem)
        conn.rollback()
    with connect(stack) as conn:
        last = conn.execute("select max(seq) from audit.log").fetchone()
        assert last is not None
        conn.execute("alter table audit.log disable trigger log_append_only")
        conn.execute("delete from audit.log where seq = %s", (last[0],))
        verdict = audit.verify(stack, conn)
        assert verdict.first_bad == last[0] and "removed from the end" in str(verdict.problem)
        conn.rollback()
    original = master(stack, "select detail from audit.log where seq = 1")[0][0]
    with connect(stack) as conn:
        conn.execute("alter table audit.log disable trigger log_append_only")
        conn.execute("update audit.log set detail = replace(detail, 'a', 'b') where seq = 1")
        conn.execute("alter table audit.log enable trigger log_append_only")
    try:
        broken = verify_cli(stack)
        assert broken.returncode == 1
        assert "entry 1" in broken.stderr and "edited" in broken.stderr
    finally:
        with connect(stack) as conn:
            conn.execute("alter table audit.log disable trigger log_append_only")
            conn.execute("update audit.log set detail = %s where seq = 1", (original,))
            conn.execute("alter table audit.log enable trigger log_append_only")
    assert verify_cli(stack).returncode == 0
