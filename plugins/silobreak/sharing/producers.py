"""What goes back to a source department: its quality scorecard and the rows it must correct.

Per producing department, a scorecard of its feeds (batches, rows, share quarantined against the
contract's threshold, rejected batches, the checks that failed most) and every quarantined row with
its reasons, as files in its folder of the ``outbox`` bucket. Objects are write-once and named by
their content, so running again without new batches delivers nothing new.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

from silobreak.contracts import FeedContract, load_contracts

OUTBOX_BUCKET = "outbox"


@dataclass(frozen=True)
class FeedScore:
    feed: str
    batches: int
    rejected: int
    rows: int
    quarantined: int
    threshold: float
    reasons: list[tuple[str, int]]

    @property
    def share(self) -> float:
        return self.quarantined / self.rows if self.rows else 0.0

    @property
    def grade(self) -> str:
        if not self.batches:
            return "no batches yet"
        if self.rejected or self.share > self.threshold:
            return "action needed"
        return "good" if self.share <= self.threshold / 2 else "watch"


def scorecard(conn: psycopg.Connection[Any], contracts: list[FeedContract]) -> list[FeedScore]:
    scores = []
    for contract in contracts:
        row = conn.execute(
            "select count(*), count(*) filter (where status = 'rejected'), coalesce(sum(row_count), 0), "
            "coalesce(sum(quarantined_count), 0) from silobreak.batches where feed = %s",
            (contract.feed,),
        ).fetchone()
        reasons = conn.execute(
            "select reason, count(*) from silobreak.quarantined_rows, unnest(reasons) reason where feed = %s "
            "group by reason order by count(*) desc, reason limit 5",
            (contract.feed,),
        ).fetchall()
        batches, rejected, rows, held = row or (0, 0, 0, 0)
        scores.append(FeedScore(contract.feed, batches, rejected, rows, held, contract.quality.max_invalid_share,
                                [(r[0], r[1]) for r in reasons]))  # fmt: skip
    return scores


def scorecard_markdown(department: str, scores: list[FeedScore]) -> str:
    lines = [f"# Data quality scorecard: {department}", "",
             "Every batch your systems delivered, and how many rows the city's checks held back. The held-back "
             "rows are in `quarantined.csv` beside this file, each with the checks it failed: correct them at "
             "the source and they will be picked up by the next batch.", "",
             "| feed | batches | rejected | rows | quarantined | allowed | grade |",
             "| --- | --- | --- | --- | --- | --- | --- |"]  # fmt: skip
    for s in scores:
        lines.append(f"| {s.feed} | {s.batches} | {s.rejected} | {s.rows:,} | {s.quarantined:,} ({s.share:.1%}) "
                     f"| {s.threshold:.0%} | {s.grade} |")  # fmt: skip
    for s in scores:
        if s.reasons:
            lines += ["", f"## {s.feed}: most frequent problems", ""]
            lines += [f"- {reason}: {count:,} rows" for reason, count in s.reasons]
    return "\n".join(lines) + "\n"


def quarantined_csv(conn: psycopg.Connection[Any], feeds: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["feed", "batch_id", "row_number", "reasons", "record"])
    for feed, batch, number, reasons, record in conn.execute(
        "select feed, batch_id, row_number, reasons, record from silobreak.quarantined_rows "
        "where feed = any(%s) order by feed, batch_id, row_number",
        (feeds,),
    ):
        writer.writerow([feed, batch, number, "; ".join(reasons), json.dumps(record, ensure_ascii=False)])
    return out.getvalue().encode("utf-8-sig")  # with BOM: Excel on Chinese Windows opens it correctly


def producers() -> dict[str, list[FeedContract]]:
    by_department: dict[str, list[FeedContract]] = {}
    for contract in load_contracts():
        by_department.setdefault(contract.department, []).append(contract)
    return by_department


def deliver(conn: psycopg.Connection[Any], s3: Any, department: str, today: date) -> list[str]:
    """Write the scorecard and quarantined rows into ``s3://outbox/<department>/quality/``; returns new keys."""
    from silobreak.pipeline.landing import put_once

    contracts = producers().get(department, [])
    if not s3.bucket_exists(OUTBOX_BUCKET):
        s3.make_bucket(OUTBOX_BUCKET)
    files = {
        "scorecard.md": (scorecard_markdown(department, scorecard(conn, contracts)).encode(), "text/markdown"),
        "quarantined.csv": (quarantined_csv(conn, [c.feed for c in contracts]), "text/csv"),
    }
    written = []
    for name, (data, content_type) in files.items():
        stem, ext = name.rsplit(".", 1)
        key = f"{department}/quality/{today}/{stem}-{hashlib.sha256(data).hexdigest()[:12]}.{ext}"
        if put_once(s3, OUTBOX_BUCKET, key, data, content_type):
            written.append(key)
    return written
