"""The governance view as a small FastAPI app: a static page plus the JSON it reads.

The same app is mounted by the lineage service at ``/view`` and by Airflow 3 as a plugin app, so the
page works standalone and inside the Airflow UI. Reads go to the lineage store directly on the
server, so the page never holds the service's bearer token: the user signs in once with it and gets
an HttpOnly, same-site session cookie that only proves they knew it (ADR 0010).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import threading
from pathlib import Path
from typing import Annotated, Any

import pydantic_core
from fastapi import Cookie, Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from silobreak.lineage import graph
from silobreak.lineage.view import data
from silobreak.settings import LINEAGE_DB, WAREHOUSE_DB, Stack, current_stack
from silobreak.sharing import web as sharing_web

STATIC = Path(__file__).parent / "static"
COOKIE = "silobreak_view"


class Login(BaseModel):
    token: str


def _json(value: Any) -> Response:
    return Response(pydantic_core.to_json(value), media_type="application/json")


class _Pools:
    """Connection pools opened on first use: an app mounted inside another gets no lifespan events."""

    def __init__(self, lineage_dsn: str, warehouse_dsn: str) -> None:
        self._dsns = {"lineage": lineage_dsn, "warehouse": warehouse_dsn}
        self._pools: dict[str, ConnectionPool] = {}
        self._lock = threading.Lock()

    def __call__(self, which: str) -> ConnectionPool:
        with self._lock:
            if which not in self._pools:
                pool = ConnectionPool(self._dsns[which], min_size=1, max_size=4, open=False,
                                      kwargs={"autocommit": True})  # fmt: skip
                pool.open(wait=True)
                self._pools[which] = pool
            return self._pools[which]


def create_view_app(stack: Stack | None = None) -> FastAPI:
    """The view for a stack; SILOBREAK_LINEAGE_DSN / _TOKEN and SILOBREAK_WAREHOUSE_DSN override it."""
    stack = stack or current_stack()
    pools = _Pools(
        os.environ.get("SILOBREAK_LINEAGE_DSN") or stack.dsn(LINEAGE_DB),
        os.environ.get("SILOBREAK_WAREHOUSE_DSN") or stack.dsn(WAREHOUSE_DB),
    )
    site = stack.dir / "data_docs" / "site"

    @functools.cache
    def secrets() -> tuple[str, str]:
        """The token and the session cookie's value, read on first request (Airflow imports plugins early)."""
        token = os.environ.get("SILOBREAK_LINEAGE_TOKEN") or stack.credentials.lineage_token
        return token, hmac.new(token.encode(), b"silobreak governance view session", hashlib.sha256).hexdigest()

    app = FastAPI(title="silobreak governance view", docs_url=None, redoc_url=None, openapi_url=None)

    def signed_in(
        authorization: Annotated[str | None, Header()] = None,
        silobreak_view: Annotated[str | None, Cookie()] = None,
    ) -> None:
        token, session = secrets()
        if silobreak_view is not None and hmac.compare_digest(silobreak_view, session):
            return
        if authorization is not None and hmac.compare_digest(authorization, f"Bearer {token}"):
            return
        raise HTTPException(status_code=401, detail="sign in with the lineage service's token")

    auth = [Depends(signed_in)]
    # the sharing side's pages (a citizen's who-read, reads in a period, producers' scorecards)
    app.include_router(sharing_web.router(stack, dependencies=auth))

    @app.exception_handler(graph.UnknownNodeError)
    async def _unknown(_: Any, exc: graph.UnknownNodeError) -> JSONResponse:
        return JSONResponse(status_code=404, content={"error": str(exc)})

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.post("/api/login")
    def login(body: Login, request: Request) -> Response:
        token, session = secrets()
        if not hmac.compare_digest(body.token.strip(), token):
            raise HTTPException(status_code=401, detail="that is not the lineage service's token")
        response = JSONResponse({"signedIn": True})
        path = request.scope.get("root_path") or "/"
        response.set_cookie(COOKIE, session, httponly=True, samesite="strict", path=path)
        return response

    @app.get("/api/session", dependencies=auth)
    def whoami() -> dict[str, Any]:
        return {"signedIn": True, "dataDocs": (site / "index.html").is_file()}

    @app.get("/api/graph", dependencies=auth)
    def dataset_graph(focus: str | None = None, depth: Annotated[int, Query(ge=1, le=20)] = 3) -> Response:
        with pools("lineage").connection() as conn:
            return _json(data.dataset_graph(conn, focus or None, depth))

    @app.get("/api/dataset", dependencies=auth)
    def dataset(id: str) -> Response:
        ref = graph.parse_node_id(id)
        with pools("lineage").connection() as conn:
            page = data.dataset_page(conn, ref.namespace, ref.name)
        if page is None:
            raise HTTPException(status_code=404, detail=f"no dataset {ref.name!r}")
        page["quality"] = None
        if page["feed"]:
            with pools("warehouse").connection() as conn:
                page["quality"] = data.quality(conn, page["feed"], site if site.is_dir() else None)
        return _json(page)

    @app.get("/api/columns", dependencies=auth)
    def columns(id: str, depth: Annotated[int, Query(ge=1, le=20)] = 3) -> Response:
        with pools("lineage").connection() as conn:
            return _json(graph.column_lineage(conn, id, depth, with_downstream=True))

    @app.get("/api/impact", dependencies=auth)
    def impact(id: str) -> Response:
        with pools("lineage").connection() as conn:
            return _json(data.impact(conn, id))

    @app.get("/api/search", dependencies=auth)
    def search(q: Annotated[str, Query(min_length=1)]) -> Response:
        with pools("lineage").connection() as conn:
            return _json(data.search(conn, q))

    @app.get("/data-docs/{path:path}", dependencies=auth, include_in_schema=False)
    def data_docs(path: str) -> FileResponse:
        """Great Expectations' Data Docs site, behind the same sign-in (it shows sample failing values)."""
        root = site.resolve()
        target = (root / (path or "index.html")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(status_code=404, detail="no such Data Docs page")
        return FileResponse(target)

    return app
