"""How department statements from the server's JSON log become audit entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from silobreak.sharing.audit import GENESIS, entry_hash
from silobreak.sharing.reads import _entries, _failed, _parse, identifiers

REGISTERS = {"master_person", "master_legal_entity"}
LOGINS = {"dept_health_svc": "health", "dept_health_wang_li": "health"}
AGREEMENTS = {("health", "master_person"): {"agreement": "health__master_person", "purpose": "vaccination",
                                            "columns": [], "row_filter": None}}  # fmt: skip


def logged(message: str, user: str = "dept_health_svc", **extra: object) -> str:
    entry = {"timestamp": "2026-11-26 13:39:08.223 UTC", "user": user, "dbname": "warehouse",
             "session_id": "s1", "error_severity": "LOG", "message": message, **extra}  # fmt: skip
    return json.dumps(entry)


def test_identifiers_are_folded_like_postgres_folds_them() -> None:
    assert identifiers('SELECT * FROM "master_person" join Master_Legal_Entity using (x)') >= {
        "master_person", "master_legal_entity", "select"}  # fmt: skip
    assert "Master_Person" in identifiers('select * from "Master_Person"'), "quoted names keep their case"


def test_a_statement_naming_a_register_is_a_read_with_the_purpose_in_force() -> None:
    lines = [logged("statement: select * from Master_Person where gender = 'F'"),
             logged("execute <unnamed>: select count(*) from master_person"),
             logged("statement: select 1"),
             logged("statement: select gender from master_person", user="dept_health_wang_li"),
             logged("statement: select * from master_person", user="silobreak"),
             logged("connection authorized: user=dept_health_svc")]  # fmt: skip
    parsed = _parse(lines, LOGINS)
    entries = [e for p in parsed for e in _entries(p, LOGINS, REGISTERS, AGREEMENTS, _failed(parsed))]
    assert [(e.action, e.dataset, e.purpose) for e in entries] == [
        ("read", "master_person", "vaccination"), ("read", "master_person", "vaccination"),
        ("statement", None, None), ("read", "master_person", "vaccination")]  # fmt: skip
    assert entries[-1].actor == "dept_health_wang_li" and entries[-1].department == "health"
    assert entries[0].actor == "dept_health_svc" and entries[0].department == "health"
    assert entries[0].at == datetime(2026, 11, 26, 13, 39, 8, 223000, tzinfo=UTC)


def test_a_statement_that_failed_is_marked_failed() -> None:
    text = "select * from shared_civil_affairs.master_person"
    denied = logged("permission denied for schema shared_civil_affairs", error_severity="ERROR", statement=text)
    lines = [logged(f"statement: {text}"), denied]
    parsed = _parse(lines, LOGINS)
    [entry] = [e for p in parsed for e in _entries(p, LOGINS, REGISTERS, AGREEMENTS, _failed(parsed))]
    assert entry.detail is not None and entry.detail["failed"] is True


def test_the_hash_covers_every_field_and_the_previous_link() -> None:
    at = datetime(2026, 11, 26, tzinfo=UTC)
    fields = ("dept_health_svc", "read", "health", "master_person", "vaccination")
    base = entry_hash(1, GENESIS, at, fields, "{}")
    assert base == entry_hash(1, GENESIS, at, fields, "{}")
    assert base != entry_hash(2, GENESIS, at, fields, "{}")
    assert base != entry_hash(1, "1" * 64, at, fields, "{}")
    assert base != entry_hash(1, GENESIS, at, (*fields[:4], "other"), "{}")
    assert base != entry_hash(1, GENESIS, at, fields, '{"a":1}')
