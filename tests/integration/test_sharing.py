"""Departments read exactly what their agreements allow, as real Postgres login roles."""

from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from silobreak.runs import AirflowClient
from silobreak.settings import SOURCES_DB, WAREHOUSE_DB, Stack
from silobreak.sharing.apply import ApplyResult, login_password, login_role, pseudonym
from silobreak.sharing.dags import SHARING_DAG_ID
from silobreak.sharing.service import apply_agreements
from silobreak.warehouse import connect

FEED = "public_security__residents"
TODAY = date(2026, 6, 1)
AGREEMENTS = {
    "health__master_person.yml": """
        consumer: health
        dataset: master_person
        purpose: Invite residents to vaccinations that are due.
        legal_basis: {kind: law, reference: Vaccine Administration Law art. 47}
        start: 2026-01-01
        end: 2026-06-30
        columns:
          - {name: master_person_id}
          - {name: resident_id, access: pseudonym}
          - {name: person_name}
          - {name: mobile}
          - {name: birth_date, access: clear, reason: The schedule depends on the exact age.}
        """,
    "civil_affairs__master_person.yml": """
        consumer: civil_affairs
        dataset: master_person
        purpose: Offer the elderly allowance to residents born in Bao'an.
        legal_basis: {kind: regulation, reference: Shenzhen elderly allowance measures}
        start: 2026-01-01
        end: 2026-12-31
        columns:
          - {name: resident_id, access: clear, reason: The allowance file is kept by resident ID.}
          - {name: person_name, access: masked}
        row_filter: {column: resident_id, starts_with: ["440306"]}
        """,
    "traffic_police__master_person.yml": """
        consumer: traffic_police
        dataset: master_person
        purpose: Identify the parties of minor accidents (a pilot that ended).
        legal_basis: {kind: law, reference: Road Traffic Safety Law art. 72}
        start: 2025-01-01
        end: 2025-12-31
        columns:
          - {name: person_name, access: masked}
        """,
    "logins/health.yml": """
        department: health
        users:
          - {name: wang_li, person: 王丽 (immunisation office)}
        """,
    "market_regulation__master_person.yml": """
        consumer: market_regulation
        dataset: master_person
        purpose: "Hostile values are literals: this filter matches nobody."
        legal_basis: {kind: law, reference: Company Law}
        start: 2026-01-01
        end: 2026-12-31
        columns:
          - {name: gender}
        row_filter: {column: resident_id, in: ["x') or true; drop table master.master_person; --"]}
        """,
}


def ensure_master_person(stack: Stack) -> None:
    """The population register, built the cheapest way: one feed loaded, then dbt (skipped if present)."""
    with connect(stack) as conn:
        built = conn.execute("select to_regclass('master.master_person') is not null").fetchone()
        if built and built[0] and conn.execute("select count(*) from master.master_person").fetchone() != (0,):
            return
    from silobreak.pipeline import steps, transform

    landed = steps.extract(FEED, stack=stack)
    steps.validate(FEED, landed["batches"], stack=stack)
    steps.load(FEED, landed["batches"], stack=stack)
    transform.refresh(stack=stack)  # build, resolve, build the registers: what master_data runs


def write_agreements(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("**/*.yml"):
        old.unlink()
    for name, text in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return directory


def department(stack: Stack, name: str, database: str = WAREHOUSE_DB, user: str = "svc") -> psycopg.Connection[Any]:
    dsn = (
        f"host={stack.host} port={stack.port('postgres')} dbname={database} "
        f"user={login_role(name, user)} password={login_password(stack, name, user)}"
    )
    return psycopg.connect(dsn, autocommit=True)


def pause_sharing_dag(airflow: AirflowClient, paused: bool) -> None:
    """While these tests apply their own agreements, the sharing DAG (which master-data builds of other
    tests trigger) must not re-apply the repository's."""
    airflow.wait_for_dag(SHARING_DAG_ID)
    airflow._call("PATCH", f"/dags/{SHARING_DAG_ID}", json={"is_paused": paused})
    deadline = time.monotonic() + 300
    while paused and time.monotonic() < deadline:
        runs = airflow._call("GET", f"/dags/{SHARING_DAG_ID}/dagRuns", params={"state": ["queued", "running"]})
        if not runs["dag_runs"]:
            return
        time.sleep(1)


@pytest.fixture(scope="module")
def applied(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ApplyResult]]:
    ensure_master_person(stack)
    airflow = AirflowClient(stack)
    pause_sharing_dag(airflow, True)
    try:
        directory = write_agreements(tmp_path_factory.mktemp("agreements"), AGREEMENTS)
        result = apply_agreements(stack, TODAY, str(directory), actor="test")
        yield directory, result
    finally:
        pause_sharing_dag(airflow, False)


def master(stack: Stack, query: str) -> list[tuple[Any, ...]]:
    with connect(stack) as conn:
        return conn.execute(query).fetchall()


def denied(conn: psycopg.Connection[Any], query: str) -> str:
    with pytest.raises(psycopg.Error) as err:
        conn.execute(query)
    return str(err.value)


def test_apply_grants_agreements_in_force_only(applied: tuple[Path, ApplyResult]) -> None:
    result = applied[1]
    assert sorted(result.granted) == ["civil_affairs__master_person", "health__master_person",
                                      "market_regulation__master_person"]  # fmt: skip
    assert "traffic_police__master_person" not in result.granted


def test_a_department_reads_exactly_its_columns_masked_and_pseudonymised(stack: Stack, applied: Any) -> None:
    truth = {r[0]: r[1:] for r in master(stack, "select master_person_id, resident_id, person_name, mobile, "
                                                "birth_date from master.master_person")}  # fmt: skip
    with department(stack, "health") as conn:
        cur = conn.execute("select * from master_person")
        columns = [d.name for d in cur.description or []]
        rows = cur.fetchall()
    assert columns == ["master_person_id", "resident_id_pseudonym", "person_name", "mobile", "birth_date"]
    assert len(rows) == len(truth)
    for person_id, resident_pseudonym, name, mobile, birth_date in rows:
        resident_id, true_name, true_mobile, true_birth = truth[person_id]
        assert resident_pseudonym == pseudonym(stack, resident_id)
        assert name == (true_name and true_name[0] + "*" * (len(true_name) - 1)), "a missing name stays missing"
        assert birth_date == true_birth
        if true_mobile:
            assert mobile == true_mobile[:3] + "****" + true_mobile[-4:]
            assert re.fullmatch(r"1\d\d\*{4}\d{4}", mobile)


def test_masking_functions_follow_common_practice(stack: Stack, applied: Any) -> None:
    with department(stack, "health") as conn:
        row = conn.execute(
            "select sharing.mask_id('44030619950614101X'), sharing.mask_mobile('13812341234'), "
            "sharing.mask_name('张三丰')"
        ).fetchone()
    assert row == ("440306********101X", "138****1234", "张**")


def test_a_department_reads_only_the_rows_of_its_filter(stack: Stack, applied: Any) -> None:
    expected = master(
        stack, "select resident_id, person_name from master.master_person where resident_id like '440306%'"
    )
    with department(stack, "civil_affairs") as conn:
        rows = conn.execute("select resident_id, person_name from master_person").fetchall()
    assert 0 < len(rows) == len(expected) < len(master(stack, "select 1 from master.master_person"))
    assert {r[0] for r in rows} == {r[0] for r in expected}
    assert all(r[1].endswith("*") for r in rows if r[1] and len(r[1]) > 1)


def test_nothing_else_is_readable(stack: Stack, applied: Any) -> None:
    with department(stack, "health") as conn:
        assert "column" in denied(conn, "select source_record from master_person")
        assert "column" in denied(conn, "select resident_id from master_person")
        for relation in ("master.master_person", "raw_public_security.residents", "shared_civil_affairs.master_person",
                         "sharing_private.pseudonym_key", "audit.log", "silobreak.batches",
                         "staging.stg_public_security__residents"):  # fmt: skip
            assert "permission denied" in denied(conn, f"select * from {relation} limit 1"), relation
        assert "permission denied" in denied(conn, "create table shared_health.copy as select * from master_person")
        assert "permission denied" in denied(conn, "create temp table copy (a int)")
        assert "permission denied" in denied(conn, "do $$ begin perform 1; end $$")
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        department(stack, "health", SOURCES_DB).close()


def test_hostile_filter_values_are_literals(stack: Stack, applied: Any) -> None:
    with department(stack, "market_regulation") as conn:
        assert conn.execute("select count(*) from master_person").fetchone() == (0,)
    assert master(stack, "select count(*) from master.master_person")[0][0] > 0


def test_ended_agreements_deny_and_revocation_is_immediate_on_the_next_apply(stack: Stack, applied: Any) -> None:
    with department(stack, "traffic_police") as conn:
        assert "does not exist" in denied(conn, "select * from shared_traffic_police.master_person")
        assert "does not exist" in denied(conn, "select * from master_person")
    directory = applied[0]
    with department(stack, "health") as open_session:
        assert open_session.execute("select count(*) from master_person").fetchone() != (0,)
        result = apply_agreements(stack, date(2026, 7, 1), str(directory), actor="test")
        assert "health__master_person" in result.revoked
        assert "does not exist" in denied(open_session, "select count(*) from master_person")
    revoked = master(stack, "select actor, department, detail from audit.log where action = 'agreement.revoked' "
                            "and department = 'health' order by seq desc limit 1")  # fmt: skip
    assert revoked and revoked[0][0] == "test" and "ended 2026-06-30" in revoked[0][2]
    apply_agreements(stack, TODAY, str(directory), actor="test")  # back in force for the other tests


def test_each_department_gets_a_dictionary_of_exactly_its_shared_tables(stack: Stack, applied: Any) -> None:
    from silobreak.sharing.catalog import load_catalog
    from silobreak.sharing.dictionary import data_dictionary
    from silobreak.sharing.model import load_agreements

    files = load_agreements(applied[0])
    with connect(stack) as conn:
        text = data_dictionary(conn, "health", files, load_catalog(), TODAY)
    with department(stack, "health") as conn:
        cur = conn.execute("select * from master_person limit 0")
        columns = [d.name for d in cur.description or []]
    documented = re.findall(r"^\| `([a-z_]+)` \|", text, re.MULTILINE)
    assert documented == columns
    assert re.findall(r"^## `(.+)`$", text, re.MULTILINE) == ["shared_health.master_person"]
    described = load_catalog()["master_person"].columns["resident_id"].description
    assert f"| `resident_id_pseudonym` | {described} | L4, general | keyed pseudonym" in text
    assert "public_security__residents" in text, "the quality of the feeds that supply it"


def test_each_producer_gets_its_scorecard_and_quarantined_rows_in_its_outbox(stack: Stack, applied: Any) -> None:
    from silobreak.sharing.producers import OUTBOX_BUCKET, deliver
    from silobreak.stack.s3 import client

    s3 = client(stack)
    with connect(stack) as conn:
        deliver(conn, s3, "public_security", TODAY)
        again = deliver(conn, s3, "public_security", TODAY)
        held = conn.execute("select count(*) from silobreak.quarantined_rows where feed = %s", (FEED,)).fetchone()
    assert again == [], "nothing new: nothing delivered twice"
    keys = [o.object_name for o in s3.list_objects(OUTBOX_BUCKET, f"public_security/quality/{TODAY}/", recursive=True)]
    csv_key = next(k for k in keys if k.endswith(".csv"))
    text = s3.get_object(OUTBOX_BUCKET, csv_key).read().decode("utf-8-sig")
    assert held is not None and len(text.strip().splitlines()) == held[0] + 1
    scorecard = s3.get_object(OUTBOX_BUCKET, next(k for k in keys if k.endswith(".md"))).read().decode()
    assert "| public_security__residents | " in scorecard and "most frequent problems" in scorecard


def test_personal_logins_read_as_their_department_and_lose_access_when_removed(stack: Stack, applied: Any) -> None:
    with department(stack, "health", user="wang_li") as conn:
        assert conn.execute("select count(*) from master_person").fetchone() != (0,)
        assert "permission denied" in denied(conn, "select * from master.master_person")
    directory = applied[0]
    (directory / "logins" / "health.yml").write_text("department: health\nusers: []\n", encoding="utf-8")
    try:
        apply_agreements(stack, TODAY, str(directory), actor="test")
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            department(stack, "health", user="wang_li").close()
    finally:
        write_agreements(directory, AGREEMENTS)
        apply_agreements(stack, TODAY, str(directory), actor="test")
