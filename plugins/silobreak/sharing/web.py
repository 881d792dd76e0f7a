"""Governance pages: the citizen's view, who read what in a period, and each producer's scorecard.

A FastAPI router for the platform's web service; mount it with ``app.include_router(router(stack,
dependencies=[...]))`` behind the same authentication as the rest of the governance view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException
from fastapi.params import Depends
from fastapi.responses import HTMLResponse

from silobreak.errors import SilobreakError
from silobreak.settings import Stack

STYLE = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px}"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>" if rows else "<p>None.</p>"


def router(stack: Stack, dependencies: Sequence[Depends] = ()) -> APIRouter:
    from silobreak.warehouse import connect

    api = APIRouter(dependencies=list(dependencies))

    form = (
        "<form method='post'><label>Resident ID or credit code <input name='id' autocomplete='off'></label> "
        "<button>Show</button></form>"
    )

    @api.get("/governance/who-read", response_class=HTMLResponse)
    def who_read_form() -> HTMLResponse:
        """The citizen's view: a form, so the identifier travels in the request body, never in a URL
        (URLs end up in access logs and browser history)."""
        return _page("Who read my records", form)

    @api.post("/governance/who-read", response_class=HTMLResponse)
    def who_read(id: Annotated[str, Form(max_length=40)]) -> HTMLResponse:
        """Which departments read the shared records of a resident or enterprise, when and why."""
        from silobreak.sharing import citizen, reads

        try:
            with connect(stack, autocommit=True) as conn:
                reads.ingest(stack, conn)
                found = citizen.who_read(conn, id)
        except SilobreakError as exc:
            raise HTTPException(status_code=400, detail=exc.message) from exc
        rows = [(f"{r.at:%Y-%m-%d %H:%M:%S} UTC", r.department, r.dataset,
                 ", ".join(f"{c['name']} ({c['access']})" for c in r.columns), r.purpose) for r in found]  # fmt: skip
        return _page(
            "Who read my records", form + _table(("when", "department", "dataset", "columns", "purpose"), rows)
        )

    @api.get("/governance/reads", response_class=HTMLResponse)
    def reads_in_period(since: datetime | None = None, until: datetime | None = None) -> HTMLResponse:
        """Who read what in a period, with the declared purpose."""
        from silobreak.sharing import reads

        with connect(stack, autocommit=True) as conn:
            reads.ingest(stack, conn)
            rows = conn.execute(
                "select at, department, actor, dataset, coalesce(purpose, '(no agreement in force)'), "
                "detail::jsonb ? 'failed' from audit.log where action = 'read' "
                "and (%(since)s::timestamptz is null or at >= %(since)s) "
                "and (%(until)s::timestamptz is null or at < %(until)s) order by seq",
                {"since": since, "until": until},
            ).fetchall()
        shown = [(f"{r[0]:%Y-%m-%d %H:%M:%S}", r[1], r[2], r[3], r[4], "denied" if r[5] else "read") for r in rows]
        return _page("Reads of shared data", _table(("when", "department", "login", "dataset", "purpose", ""), shown))

    @api.get("/producers/{department}", response_class=HTMLResponse)
    def producer(department: str) -> HTMLResponse:
        """A source department's quality scorecard and the rows it must correct."""
        from silobreak.sharing.producers import producers, scorecard

        contracts = producers().get(department)
        if contracts is None:
            raise HTTPException(status_code=404, detail=f"no feed contract of department {department!r}")
        with connect(stack) as conn:
            scores = scorecard(conn, contracts)
            held = conn.execute(
                "select feed, batch_id, row_number, array_to_string(reasons, '; '), record::text "
                "from silobreak.quarantined_rows where feed = any(%s) order by feed, batch_id, row_number limit 1000",
                ([c.feed for c in contracts],),
            ).fetchall()
        card = _table(("feed", "batches", "rejected", "rows", "quarantined", "allowed", "grade"),
                      [(s.feed, s.batches, s.rejected, s.rows, f"{s.quarantined} ({s.share:.1%})",
                        f"{s.threshold:.0%}", s.grade) for s in scores])  # fmt: skip
        rows = _table(("feed", "batch", "row", "failed checks", "record"), held)
        return _page(f"Data quality: {department}", card + "<h2>Rows to correct at the source</h2>" + rows)

    return api
