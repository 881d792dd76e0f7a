"""The governance pages: a resident's who-read page, reads in a period, a producer's scorecard."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from silobreak.settings import Stack
from silobreak.sharing.web import router
from tests.integration.test_sharing import applied, department, master  # noqa: F401 - the fixture is shared


def client(stack: Stack) -> TestClient:
    app = FastAPI()
    app.include_router(router(stack))
    return TestClient(app)


def test_the_citizen_page_lists_the_departments_that_read_a_record(stack: Stack, applied: Any) -> None:  # noqa: F811
    with department(stack, "health") as conn:
        conn.execute("select count(*) from master_person").fetchone()
    resident = master(stack, "select resident_id from master.master_person limit 1")[0][0]
    web = client(stack)
    page = web.post("/governance/who-read", data={"id": resident})
    assert page.status_code == 200 and "health" in page.text and "Invite residents to vaccinations" in page.text
    assert resident not in str(page.url), "the identifier never goes into a URL"
    assert web.post("/governance/who-read", data={"id": "<script>"}).status_code == 400
    assert "<form method='post'>" in web.get("/governance/who-read").text
    assert "dept_health_svc" in web.get("/governance/reads").text


def test_a_producer_page_shows_its_scorecard_and_rows_to_correct(stack: Stack, applied: Any) -> None:  # noqa: F811
    web = client(stack)
    page = web.get("/producers/public_security")
    assert page.status_code == 200
    assert "public_security__residents" in page.text and "Rows to correct at the source" in page.text
    held = master(stack, "select count(*) from silobreak.quarantined_rows where feed = 'public_security__residents'")
    assert held[0][0] > 0 and "resident_id_valid" in page.text
    assert web.get("/producers/nobody").status_code == 404
