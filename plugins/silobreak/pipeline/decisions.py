"""What becomes of quarantined rows: released by governance, rejected for good, or superseded.

A row is held until one decision is taken on it, and that decision is kept with who took it, when
and why (``silobreak.quarantine_decisions``). Released rows go into the raw table as part of their
batch, so a rerun of the batch's load keeps them; superseded rows belong to a batch that the
department replaced with a corrected one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import Connection

from silobreak.contracts import FeedContract
from silobreak.errors import SilobreakError
from silobreak.pipeline import loading

Decision = Literal["released", "rejected"]


@dataclass(frozen=True)
class Decided:
    """The outcome of one `decide` call."""

    decided: int
    """Rows that got the decision now."""
    already: dict[int, str]
    """Rows that had a decision before (row number -> that decision), left as they were."""
    loaded: int = 0
    """Released rows written to the raw table."""


def released_rows(conn: Connection[Any], feed: str, batch_id: str) -> set[int]:
    rows = conn.execute(
        "select row_number from silobreak.quarantine_decisions "
        "where feed = %s and batch_id = %s and decision = 'released'",
        (feed, batch_id),
    ).fetchall()
    return {int(r[0]) for r in rows}


def decide(
    conn: Connection[Any],
    contract: FeedContract,
    batch_id: str,
    decision: Decision,
    *,
    reason: str,
    decided_by: str,
    rows: Collection[int] | None = None,
    check: str | None = None,
) -> Decided:
    """Release or reject held rows of one batch: all of them, the given row numbers, or those that
    failed ``check``. Rows already decided keep their decision (decisions are final)."""
    if not reason.strip():
        raise SilobreakError("a decision needs a reason", hint="say why with --reason, e.g. --reason 'ID confirmed'")
    feed = contract.feed
    with conn.transaction():
        status = conn.execute(
            "select status from silobreak.batches where feed = %s and batch_id = %s for update", (feed, batch_id)
        ).fetchone()
        if status is None:
            raise SilobreakError(
                f"feed {feed} has no batch {batch_id}", hint=f"list its held rows: silobreak quarantine list {feed}"
            )
        if decision == "released" and status[0] != "loaded":
            raise SilobreakError(
                f"batch {batch_id} of {feed} is {status[0]}: only rows of a loaded batch can be released",
                hint="a rejected batch is replaced by the department's corrected one, not released row by row",
            )
        found = conn.execute(
            "select q.row_number, q.record, d.decision from silobreak.quarantined_rows q "
            "left join silobreak.quarantine_decisions d using (feed, batch_id, row_number) "
            "where q.feed = %s and q.batch_id = %s "
            "and (%s::int[] is null or q.row_number = any(%s::int[])) "
            "and (%s::text is null or %s::text = any(q.reasons)) order by q.row_number",
            (feed, batch_id, _list(rows), _list(rows), check, check),
        ).fetchall()
        missing = sorted(set(rows or ()) - {r[0] for r in found})
        if missing:
            raise SilobreakError(
                f"batch {batch_id} of {feed} holds no row {', '.join(map(str, missing[:10]))}",
                hint=f"see the held rows and their numbers: silobreak quarantine list {feed} --batch {batch_id}",
            )
        if not found:
            raise SilobreakError(
                f"no held row of batch {batch_id} of {feed} matches" + (f" the check {check!r}" if check else ""),
                hint=f"see the held rows and their checks: silobreak quarantine list {feed} --batch {batch_id}",
            )
        already = {int(n): str(d) for n, _, d in found if d is not None}
        todo = {int(n): record for n, record, d in found if d is None}
        with conn.cursor() as cur:
            cur.executemany(
                "insert into silobreak.quarantine_decisions (feed, batch_id, row_number, decision, reason, decided_by) "
                "values (%s, %s, %s, %s, %s, %s)",
                [(feed, batch_id, n, decision, reason, decided_by) for n in todo],
            )
        loaded = loading.insert_rows(conn, contract, batch_id, todo) if decision == "released" and todo else 0
    return Decided(decided=len(todo), already=already, loaded=loaded)


def supersede(conn: Connection[Any], contract: FeedContract, batch_id: str) -> list[str]:
    """When ``batch_id`` is loaded, retire the batches it replaces: the one the department named as
    corrected, and, for a snapshot feed, earlier rejected snapshots. Their held rows are marked
    superseded. Returns the retired batch ids."""
    feed = contract.feed
    rows = conn.execute(
        "update silobreak.batches old set status = 'superseded', superseded_by = %(new)s "
        "from silobreak.batches new where new.feed = %(feed)s and new.batch_id = %(new)s "
        "and old.feed = %(feed)s and old.batch_id <> %(new)s and old.status in ('landed', 'validated', 'rejected', "
        "'loaded') and (old.batch_id = new.supersedes or (%(snapshot)s and old.status = 'rejected' "
        "and old.landed_at < new.landed_at)) returning old.batch_id",
        {"feed": feed, "new": batch_id, "snapshot": contract.snapshot},
    ).fetchall()
    retired = [str(r[0]) for r in rows]
    if retired:
        conn.execute(
            "insert into silobreak.quarantine_decisions (feed, batch_id, row_number, decision, reason, decided_by) "
            "select q.feed, q.batch_id, q.row_number, 'superseded', 'replaced by batch ' || %s, 'silobreak' "
            "from silobreak.quarantined_rows q where q.feed = %s and q.batch_id = any(%s) "
            "on conflict (feed, batch_id, row_number) do nothing",
            (batch_id, feed, retired),
        )
    return retired


def _list(rows: Collection[int] | None) -> list[int] | None:
    return sorted(rows) if rows else None
