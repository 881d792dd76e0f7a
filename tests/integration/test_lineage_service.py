"""The built-in lineage service: token required, bad events refused with the field named, good ones stored whole."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import psycopg
import pytest

from silobreak.settings import LINEAGE_DB, Stack


def _event(**changes: Any) -> dict[str, Any]:
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-26T10:00:00+00:00",
        "producer": "https://example.org/test",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "tests", "name": "lineage-service"},
        "inputs": [],
        "outputs": [],
    }
    event.update(changes)
    return event


@pytest.fixture
def api(stack: Stack) -> httpx.Client:
    return httpx.Client(
        base_url=stack.lineage_url, headers={"Authorization": f"Bearer {stack.credentials.lineage_token}"}, timeout=10
    )


def _count(stack: Stack, run_id: str) -> int:
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        row = conn.execute("select count(*) from lineage_events where run_id = %s", (run_id,)).fetchone()
    return int(row[0]) if row else 0


def test_a_valid_event_is_stored_whole(stack: Stack, api: httpx.Client) -> None:
    event = _event()
    response = api.post("/api/v1/lineage", json=event)
    assert response.status_code == 201, response.text
    with psycopg.connect(stack.dsn(LINEAGE_DB)) as conn:
        row = conn.execute("select event from lineage_events where id = %s", (response.json()["id"],)).fetchone()
    assert row is not None and row[0] == event


def test_no_token_no_entry(stack: Stack) -> None:
    event = _event()
    response = httpx.post(f"{stack.lineage_url}/api/v1/lineage", json=event, timeout=10)
    assert response.status_code == 401
    assert _count(stack, event["run"]["runId"]) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"run": {"runId": "not-a-uuid"}}, "run.runId"),
        ({"job": {"namespace": "tests"}}, "job.name"),
        ({"eventTime": "yesterday"}, "eventTime"),
        ({"eventType": "DONE"}, "eventType"),
    ],
)
def test_an_invalid_event_gets_a_400_naming_the_field(
    stack: Stack, api: httpx.Client, change: dict[str, Any], field: str
) -> None:
    event = _event(**change)
    response = api.post("/api/v1/lineage", json=event)
    assert response.status_code == 400
    assert any(f.startswith(field) for f in response.json()["detail"]["fields"]), response.text


def test_a_body_that_is_not_json_gets_a_400(api: httpx.Client) -> None:
    response = api.post("/api/v1/lineage", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
