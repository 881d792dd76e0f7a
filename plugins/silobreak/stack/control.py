"""Bring the whole embedded stack up or down, and say what runs where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from silobreak import warehouse
from silobreak.settings import WAREHOUSE_DB, Stack
from silobreak.stack.airflow import Airflow
from silobreak.stack.departments_api import DepartmentsApi
from silobreak.stack.lineage import LineageService
from silobreak.stack.postgres import Postgres
from silobreak.stack.s3 import S3Server


def up(stack: Stack, *, airflow: bool = True, progress: Callable[[str], None] = lambda _: None) -> None:
    """Start every service that is not running yet and migrate the warehouse's platform tables;
    starting twice is harmless."""
    progress("PostgreSQL")
    Postgres(stack).start()
    progress("warehouse platform tables")
    warehouse.migrate(stack)
    progress("S3 server")
    S3Server(stack).start()
    progress("lineage service")
    LineageService(stack).start()
    progress("departments API")
    DepartmentsApi(stack).start()
    if airflow:
        progress("Airflow (api-server, scheduler, dag-processor)")
        Airflow(stack).start()


def down(stack: Stack) -> list[str]:
    """Stop everything this stack started, last started first; returns what was stopped."""
    stopped = []
    for name, service in (
        ("airflow", Airflow(stack)),
        ("departments_api", DepartmentsApi(stack)),
        ("lineage", LineageService(stack)),
        ("s3", S3Server(stack)),
        ("postgres", Postgres(stack)),
    ):
        if service.stop():
            stopped.append(name)
    return stopped


def status(stack: Stack) -> dict[str, Any]:
    """What runs where: the keys postgres (DSN), s3, lineage, departments_api and airflow (URLs), and running."""
    return {
        "stack": stack.name,
        "dir": str(stack.dir),
        "postgres": stack.url(WAREHOUSE_DB),
        "s3": f"http://{stack.s3_endpoint}",
        "lineage": f"{stack.lineage_url}/api/v1/lineage",
        "departments_api": f"{stack.departments_api_url}/api/v1",
        "airflow": stack.airflow_url,
        "running": {
            "postgres": Postgres(stack).running(),
            "s3": S3Server(stack).running(),
            "lineage": LineageService(stack).running(),
            "departments_api": DepartmentsApi(stack).running(),
            "airflow": Airflow(stack).running(),
        },
    }
