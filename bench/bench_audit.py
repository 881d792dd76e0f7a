"""Benchmark: the audit trail's append, log ingestion and verification rates.

    SILOBREAK_STACK=test uv run python bench/bench_audit.py --entries 100000

Needs a running stack (its Postgres). Everything happens in one transaction that is rolled back,
so the stack's real audit trail is left as it was. Appends N read entries (as ingestion would),
parses N JSON log lines into entries, and verifies the chain. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from silobreak.settings import current_stack
from silobreak.sharing import audit
from silobreak.sharing.reads import _entries, _failed, _parse
from silobreak.warehouse import connect


def log_lines(n: int) -> list[str]:
    return [
        json.dumps(
            {
                "timestamp": "2026-11-26 13:39:08.223 UTC",
                "user": "dept_health_svc",
                "dbname": "warehouse",
                "session_id": f"s{i}",
                "error_severity": "LOG",
                "message": f"statement: select * from master_person where resident_id = '{i:018d}'",  # noqa: S608
            }
        )
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    n = parser.parse_args().entries
    stack = current_stack()
    agreements = {("health", "master_person"): {"agreement": "health__master_person", "purpose": "bench",
                                                "columns": [], "row_filter": None}}  # fmt: skip
    started = time.perf_counter()
    logins = {"dept_health_svc": "health"}
    parsed = _parse(log_lines(n), logins)
    failed = _failed(parsed)
    entries = [e for p in parsed for e in _entries(p, logins, {"master_person"}, agreements, failed)]
    parse_s = time.perf_counter() - started
    with connect(stack) as conn:
        audit.ensure_audit_schema(conn)
        before = conn.execute("select count(*) from audit.log").fetchone()
        started = time.perf_counter()
        audit.append(conn, entries)
        append_s = time.perf_counter() - started
        started = time.perf_counter()
        verdict = audit.verify(stack, conn)
        verify_s = time.perf_counter() - started
        conn.rollback()
    assert verdict.ok, verdict.problem
    print(json.dumps({
        "entries": n, "existing": before[0] if before else 0, "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parse_per_s": round(n / parse_s), "append_per_s": round(n / append_s),
        "verify_per_s": round(verdict.entries / verify_s), "verified": verdict.entries,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
