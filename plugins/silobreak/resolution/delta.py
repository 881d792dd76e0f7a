"""What changed since the last resolution run, and which records that can move.

A record is compared with what the last run saw by a fingerprint of the values the matcher and
the registers use, so a department that delivers the same record again (a daily snapshot) changes
nothing. The changed records, the records of the clusters they were in and everything linked to
them (by a scored pair above the link threshold, an accepted review or a shared resident ID),
followed until nothing new is reached, are the *affected* records: clustering them again gives
what clustering every record would, because clusters never reach across them.

Everything lives in temporary tables of the run's transaction: ``current_records``, ``delta``
(new or changed), ``gone`` (no longer delivered) and ``affected``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd  # type: ignore[import-untyped, unused-ignore]
import psycopg

from silobreak.resolution import store
from silobreak.resolution.features import RECORD_COLUMNS
from silobreak.resolution.matching import BLOCKING_KEYS, MODEL_COLUMNS

UNIONED = "intermediate.int_persons__unioned"

#: The values a record is resolved and survived on; batch and update time are not among them.
FINGERPRINT = "md5(row(source_department, resident_id, person_name, gender, birth_date, mobile, address)::text)"

_UNIQUE_ID = "source_feed || '|' || source_record || '|' || coalesce(source_role, '')"


@dataclass(frozen=True)
class Delta:
    records: int
    new: int
    changed: int
    gone: int

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.gone)


def stage(conn: psycopg.Connection[Any]) -> Delta:
    """Compare the person union with what the last run saw (``resolution.person_records``)."""
    columns = ", ".join(c if c != "source_role" else "coalesce(source_role, '') as source_role" for c in RECORD_COLUMNS)
    conn.execute(
        f"""
        create temp table current_records on commit drop as
        select distinct on (unique_id) * from (
            select {_UNIQUE_ID} as unique_id, {columns}, {FINGERPRINT} as fingerprint from {UNIONED}
        ) u order by unique_id;
        create unique index on current_records (unique_id);
        analyze current_records;

        create temp table delta on commit drop as
        select c.unique_id, r.unique_id is null as is_new
        from current_records c left join resolution.person_records r on r.unique_id = c.unique_id
        where r.fingerprint is distinct from c.fingerprint;
        create unique index on delta (unique_id);

        create temp table gone on commit drop as
        select r.unique_id from resolution.person_records r
        where not exists (select 1 from current_records c where c.unique_id = r.unique_id);

        create temp table affected (unique_id text primary key) on commit drop;
        """  # noqa: S608
    )
    row = conn.execute(
        "select (select count(*) from current_records), (select count(*) filter (where is_new) from delta), "
        "(select count(*) filter (where not is_new) from delta), (select count(*) from gone)"
    ).fetchone()
    assert row is not None
    return Delta(*(int(v) for v in row))


def read_delta(conn: psycopg.Connection[Any]) -> pd.DataFrame:
    """The new and changed records, as the person union has them now."""
    cols = ", ".join(f"c.{c}" for c in RECORD_COLUMNS)
    with conn.cursor() as cur:
        cur.execute(f"select {cols} from current_records c join delta d using (unique_id) order by c.unique_id")  # noqa: S608
        rows = cur.fetchall()
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS), dtype=object)


def save(conn: psycopg.Connection[Any], features: pd.DataFrame, run_id: str, now: Any) -> None:
    """Keep the new and changed records and their features; forget the ones no longer delivered
    (their xref rows stay, retired)."""
    record_columns = ", ".join(RECORD_COLUMNS)
    conn.execute(
        f"""
        insert into resolution.person_records as r
            (unique_id, {record_columns}, fingerprint, changed_at, run_id)
        select c.unique_id, {", ".join(f"c.{c}" for c in RECORD_COLUMNS)}, c.fingerprint, %(now)s, %(run)s
        from current_records c join delta d using (unique_id)
        on conflict (unique_id) do update set
            {", ".join(f"{c} = excluded.{c}" for c in RECORD_COLUMNS)},
            fingerprint = excluded.fingerprint, changed_at = excluded.changed_at, run_id = excluded.run_id
        """,  # noqa: S608
        {"now": now, "run": run_id},
    )
    conn.execute(
        "delete from resolution.person_records where unique_id in (select unique_id from gone);"
        "delete from resolution.person_features where unique_id in (select unique_id from gone)"
    )
    # the table's columns are MODEL_COLUMNS, in that order
    store.temp_table(conn, "new_features", "like resolution.person_features", store.frame_rows(features, MODEL_COLUMNS))
    conn.execute(
        f"""
        insert into resolution.person_features select * from new_features
        on conflict (unique_id) do update set
            {", ".join(f"{c} = excluded.{c}" for c in MODEL_COLUMNS if c != "unique_id")}
        """  # noqa: S608
    )


def read_features(conn: psycopg.Connection[Any], scope: str) -> pd.DataFrame:
    """Features of ``all`` current records, the ``affected`` ones, or the blocking ``candidates``:
    records not new or changed that share a blocking key with one that is (the only existing
    records a changed one can be paired with)."""
    cols = ", ".join(f"f.{c}" for c in MODEL_COLUMNS)
    if scope == "all":
        sql = f"select {cols} from resolution.person_features f order by f.unique_id"  # noqa: S608
    elif scope == "affected":
        sql = f"select {cols} from resolution.person_features f join affected a using (unique_id) order by f.unique_id"  # noqa: S608
    elif scope == "candidates":
        # the blocking rules as joins: Splink pairs no other records
        conditions = [" and ".join(f"f.{k} = n.{k}" for k in key) for key in BLOCKING_KEYS]
        joins = " union ".join(
            f"select f.unique_id from resolution.person_features f join resolution.person_features n on {on} "  # noqa: S608
            "join delta d on d.unique_id = n.unique_id"
            for on in conditions
        )
        sql = (
            f"select {cols} from resolution.person_features f "  # noqa: S608
            f"where f.unique_id in ({joins}) and f.unique_id not in (select unique_id from delta) order by f.unique_id"
        )
    else:
        raise ValueError(scope)
    with conn.cursor() as cur:
        cur.execute(sql)
        rows = cur.fetchall()
    return pd.DataFrame(rows, columns=list(MODEL_COLUMNS), dtype=object)


def affect_all(conn: psycopg.Connection[Any]) -> int:
    """A full run: every current record is affected, and every record that went."""
    return conn.execute(
        "insert into affected select unique_id from current_records union select unique_id from gone"
    ).rowcount


_NEIGHBOURS = """
select x2.unique_id from frontier a
join resolution.person_xref x1 on x1.unique_id = a.unique_id
join resolution.person_xref x2 on x2.master_person_id = x1.master_person_id and x2.status = 'active'
union
select p.record_r from frontier a join resolution.person_pairs p on p.record_l = a.unique_id
where p.match_probability >= %(link)s
union
select p.record_l from frontier a join resolution.person_pairs p on p.record_r = a.unique_id
where p.match_probability >= %(link)s
union
select r.record_r from frontier a join resolution.person_review r on r.record_l = a.unique_id and r.status = 'accepted'
union
select r.record_l from frontier a join resolution.person_review r on r.record_r = a.unique_id and r.status = 'accepted'
union
select f2.unique_id from frontier a
join resolution.person_features f1 on f1.unique_id = a.unique_id
join resolution.person_features f2 on f2.trusted_id = f1.trusted_id
"""


def affect_changed(conn: psycopg.Connection[Any], *, link: float, decided_since: Any) -> tuple[int, int]:
    """An incremental run: the new, changed and gone records, the pairs governance decided since
    ``decided_since``, and everything their clusters can reach. Returns (records, rounds)."""
    conn.execute("create temp table frontier (unique_id text primary key) on commit drop")
    conn.execute(
        """
        insert into frontier
        select unique_id from delta
        union select unique_id from gone
        union select record_l from resolution.person_review where decided_at >= %(since)s
        union select record_r from resolution.person_review where decided_at >= %(since)s
        """,
        {"since": decided_since},
    )
    conn.execute("insert into affected select unique_id from frontier")
    rounds = 0
    while True:
        rounds += 1
        conn.execute(
            f"""
            create temp table reached on commit drop as
            select n.unique_id from ({_NEIGHBOURS}) n
            where not exists (select 1 from affected a where a.unique_id = n.unique_id)
            """,  # noqa: S608
            {"link": link},
        )
        grown = conn.execute("select count(*) from reached").fetchone()
        conn.execute(
            "truncate frontier; insert into frontier select unique_id from reached; "
            "insert into affected select unique_id from reached; drop table reached"
        )
        if not grown or grown[0] == 0:
            break
    count = conn.execute("select count(*) from affected").fetchone()
    return (int(count[0]) if count else 0), rounds
