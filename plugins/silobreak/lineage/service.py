"""The built-in lineage service: Marquez's HTTP API over events kept in Postgres, behind a bearer token.

``POST /api/v1/lineage`` takes an OpenLineage event (what openlineage-python's HTTP transport and
Airflow's OpenLineage provider send), checks the parts the store indexes, and stores it whole with
its read tables in one transaction: a malformed event gets a 400 naming the field and leaves
nothing behind. The read endpoints are the ones governance tools call on Marquez (namespaces,
datasets and versions, jobs, runs, lineage, column lineage, search). Every request but the health
check needs the stack's bearer token, which Marquez does not ask for.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal
from urllib.parse import unquote
from uuid import UUID

import psycopg
import pydantic_core
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool
from pydantic import ValidationError

from silobreak.lineage import graph, reads, store
from silobreak.lineage.events import RunEventIn
from silobreak.settings import LINEAGE_DB, Stack, current_stack

SLASH = "\x00"
"""Stands for an encoded slash inside one path segment while routing (namespaces like ``s3://inbox``)."""

Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0)]
Depth = Annotated[int, Query(ge=0, le=20)]


def _field_errors(exc: ValidationError | RequestValidationError) -> list[str]:
    return [".".join(str(p) for p in err["loc"] if p != "body") + f": {err['msg']}" for err in exc.errors()]


def _segment(value: str) -> str:
    return value.replace(SLASH, "/")


def _json(value: Any) -> Response:
    """Serialised in Rust, skipping FastAPI's per-value encoder: graphs of hundreds of nodes are large."""
    return Response(pydantic_core.to_json(value), media_type="application/json")


def _found(value: Any, what: str) -> Any:
    if value is None:
        raise HTTPException(status_code=404, detail=f"{what} not found")
    return value


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

    app = FastAPI(title="silobreak lineage", version="2", lifespan=lifespan)

    @app.middleware("http")
    async def keep_encoded_slashes(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Marquez clients send ``postgres:%2F%2Fhost:5432`` as one segment: route on the raw path."""
        raw = request.scope.get("raw_path")
        if raw and b"%2f" in raw.lower():
            segments = raw.decode("latin-1").split("?", 1)[0].split("/")
            request.scope["path"] = "/".join(unquote(s).replace("/", SLASH) for s in segments)
        return await call_next(request)

    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        expected = f"Bearer {token}"
        if authorization is None or not hmac.compare_digest(authorization, expected):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token")

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Any, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"error": "invalid request", "fields": _field_errors(exc)})

    @app.exception_handler(graph.UnknownNodeError)
    async def _unknown_node(_: Any, exc: graph.UnknownNodeError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": str(exc)})

    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    auth = [Depends(require_token)]

    @app.post("/api/v1/lineage", status_code=201, dependencies=auth)
    def post_lineage(body: dict[str, Any]) -> dict[str, int]:
        try:
            event = RunEventIn.model_validate(body)
        except ValidationError as exc:
            raise HTTPException(
                status_code=400, detail={"error": "invalid OpenLineage event", "fields": _field_errors(exc)}
            ) from exc
        for attempt in range(3):
            try:
                with pool.connection() as conn:
                    return {"id": store.insert_event(conn, body, event)}
            except psycopg.errors.DeadlockDetected:  # two events touching the same datasets: try again
                if attempt == 2:
                    raise
            except psycopg.DataError as exc:  # e.g. a \u0000 in a string, which jsonb cannot hold
                raise HTTPException(
                    status_code=400, detail={"error": "event not storable", "fields": [f"body: {exc}"]}
                ) from exc
        raise AssertionError("unreachable")

    @app.get("/api/v1/events/lineage", dependencies=auth)
    def list_events(limit: Limit = 100) -> dict[str, Any]:
        with pool.connection() as conn:
            rows = conn.execute("select event from lineage_events order by id desc limit %s", (limit,)).fetchall()
        return {"events": [row[0] for row in rows]}

    @app.get("/api/v1/namespaces", dependencies=auth)
    def namespaces() -> dict[str, Any]:
        with pool.connection() as conn:
            return {"namespaces": reads.namespaces(conn)}

    @app.get("/api/v1/namespaces/{namespace}", dependencies=auth)
    def namespace(namespace: str) -> dict[str, Any]:
        with pool.connection() as conn:
            return _found(reads.namespace(conn, _segment(namespace)), "namespace")  # type: ignore[no-any-return]

    @app.get("/api/v1/namespaces/{namespace}/datasets", dependencies=auth)
    def datasets(namespace: str, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        with pool.connection() as conn:
            return reads.datasets(conn, _segment(namespace), limit, offset)

    @app.get("/api/v1/namespaces/{namespace}/datasets/{name}", dependencies=auth)
    def dataset(namespace: str, name: str) -> dict[str, Any]:
        with pool.connection() as conn:
            return _found(reads.dataset(conn, _segment(namespace), _segment(name)), "dataset")  # type: ignore[no-any-return]

    @app.get("/api/v1/namespaces/{namespace}/datasets/{name}/versions", dependencies=auth)
    def dataset_versions(namespace: str, name: str, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        with pool.connection() as conn:
            found = reads.dataset_versions(conn, _segment(namespace), _segment(name), limit, offset)
        return _found(found, "dataset")  # type: ignore[no-any-return]

    @app.get("/api/v1/namespaces/{namespace}/jobs", dependencies=auth)
    def jobs(namespace: str, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        with pool.connection() as conn:
            return reads.jobs(conn, _segment(namespace), limit, offset)

    @app.get("/api/v1/namespaces/{namespace}/jobs/{name}", dependencies=auth)
    def job(namespace: str, name: str) -> dict[str, Any]:
        with pool.connection() as conn:
            return _found(reads.job(conn, _segment(namespace), _segment(name)), "job")  # type: ignore[no-any-return]

    @app.get("/api/v1/namespaces/{namespace}/jobs/{name}/runs", dependencies=auth)
    def job_runs(namespace: str, name: str, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
        with pool.connection() as conn:
            found = reads.job_runs(conn, _segment(namespace), _segment(name), limit, offset)
        return _found(found, "job")  # type: ignore[no-any-return]

    @app.get("/api/v1/jobs/runs/{run_id}", dependencies=auth)
    def run(run_id: UUID) -> dict[str, Any]:
        with pool.connection() as conn:
            found = reads.run(conn, run_id)
            if found is not None:
                found["childRuns"] = [r["id"] for r in reads.child_runs(conn, run_id)]
        return _found(found, "run")  # type: ignore[no-any-return]

    @app.get("/api/v1/lineage", dependencies=auth)
    def lineage(
        nodeId: str,  # noqa: N803 - Marquez's parameter name
        depth: Depth = 20,
        direction: Literal["upstream", "downstream", "both"] = "both",
    ) -> Response:
        with pool.connection() as conn:
            return _json(graph.lineage(conn, nodeId, depth, direction))

    @app.get("/api/v1/column-lineage", dependencies=auth)
    def column_lineage(
        nodeId: str,  # noqa: N803 - Marquez's parameter name
        depth: Depth = 20,
        withDownstream: bool = False,  # noqa: N803
    ) -> Response:
        with pool.connection() as conn:
            return _json(graph.column_lineage(conn, nodeId, depth, withDownstream))

    @app.get("/api/v1/search", dependencies=auth)
    def search(
        q: Annotated[str, Query(min_length=1)],
        filter: Literal["DATASET", "JOB"] | None = None,
        limit: Limit = 10,
    ) -> dict[str, Any]:
        with pool.connection() as conn:
            return reads.search(conn, q, filter, limit)

    from silobreak.lineage.view.app import create_view_app

    app.mount("/view", create_view_app(stack))
    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory silobreak.lineage.service:app``."""
    return create_app()
