"""The built-in lineage service: an HTTP endpoint shaped like Marquez's that keeps events in Postgres.

``POST /api/v1/lineage`` takes an OpenLineage event (what openlineage-python's HTTP transport and
Airflow's OpenLineage provider send), checks the fields the store relies on, and stores it whole.
A malformed event gets a 400 naming the field; nothing is half-stored. Requests need the stack's
bearer token, which Marquez does not ask for.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from silobreak.lineage import store
from silobreak.settings import LINEAGE_DB, Stack, current_stack


class _Job(BaseModel):
    model_config = ConfigDict(extra="allow")
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)


class _Run(BaseModel):
    model_config = ConfigDict(extra="allow")
    runId: UUID


class RunEventIn(BaseModel):
    """The parts of an OpenLineage RunEvent the store indexes; everything else is kept as sent."""

    model_config = ConfigDict(extra="allow")
    eventTime: datetime
    producer: str = Field(min_length=1)
    schemaURL: str = Field(min_length=1)
    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] | None = None
    run: _Run
    job: _Job


def _field_errors(exc: ValidationError | RequestValidationError) -> list[str]:
    return [".".join(str(p) for p in err["loc"] if p != "body") + f": {err['msg']}" for err in exc.errors()]


def create_app(stack: Stack | None = None) -> FastAPI:
    """The service for a stack; in production SILOBREAK_LINEAGE_DSN and SILOBREAK_LINEAGE_TOKEN
    (set from the deployment's secrets) replace the embedded stack's database and token."""
    stack = stack or current_stack()
    dsn = os.environ.get("SILOBREAK_LINEAGE_DSN") or stack.dsn(LINEAGE_DB)
    token = os.environ.get("SILOBREAK_LINEAGE_TOKEN") or stack.credentials.lineage_token
    pool = ConnectionPool(dsn, min_size=1, max_size=8, open=False, kwargs={"autocommit": True})

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        pool.open(wait=True)
        with pool.connection() as conn:
            store.ensure_schema(conn)
        yield
        pool.close()

    app = FastAPI(title="silobreak lineage", version="1", lifespan=lifespan)

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = f"Bearer {token}"
        if authorization is None or not hmac.compare_digest(authorization, expected):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token")

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Any, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": "invalid request", "fields": _field_errors(exc)})

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/v1/lineage", status_code=201, dependencies=[Depends(require_token)])
    def post_lineage(body: dict[str, Any]) -> dict[str, int]:
        try:
            event = RunEventIn.model_validate(body)
        except ValidationError as exc:
            raise HTTPException(
                status_code=400, detail={"error": "invalid OpenLineage event", "fields": _field_errors(exc)}
            ) from exc
        with pool.connection() as conn:
            event_id = store.insert_event(conn, body, event.eventTime)
        return {"id": event_id}

    @app.get("/api/v1/events/lineage", dependencies=[Depends(require_token)])
    def list_events(limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
        with pool.connection() as conn:
            rows = conn.execute("select event from lineage_events order by id desc limit %s", (limit,)).fetchall()
        return {"events": [row[0] for row in rows]}

    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory silobreak.lineage.service:app``."""
    return create_app()
