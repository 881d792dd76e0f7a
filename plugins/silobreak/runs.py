"""Trigger feed DAGs on the stack's Airflow and follow them to the end (Airflow's REST API v2)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from silobreak.errors import SilobreakError
from silobreak.settings import Stack

FINISHED = {"success", "failed"}


@dataclass
class DagRunResult:
    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, str] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)


class AirflowClient:
    """The few REST calls silobreak makes; the local stack lets every caller act as admin."""

    def __init__(self, stack: Stack, timeout: float = 30) -> None:
        self.http = httpx.Client(base_url=f"{stack.airflow_url}/api/v2", timeout=timeout)

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise SilobreakError("Airflow is not running", hint="start the stack: silobreak up") from exc
        if response.status_code >= 400:
            raise SilobreakError(f"Airflow answered {response.status_code} to {method} {path}: {response.text[:500]}")
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> None:
        """Wait until the dag-processor has parsed the DAG; fail with its import error if any."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.http.get(f"/dags/{dag_id}")
            if response.status_code == 200:
                return
            errors = self.http.get("/importErrors").json().get("import_errors", [])
            if errors:
                raise SilobreakError(
                    "Airflow could not import the DAG files:\n" + "\n".join(e["stack_trace"][-800:] for e in errors),
                    hint="run `silobreak feed check` (or pytest tests/unit/test_dag_integrity.py) to see the problem",
                )
            time.sleep(1)
        raise SilobreakError(f"Airflow has no DAG {dag_id!r} after {timeout:.0f}s", hint="is there a contract for it?")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})
        run = self._call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": None, "conf": conf or {}})
        return str(run["dag_run_id"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        body = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        return {ti["task_id"]: ti["state"] or "none" for ti in body["task_instances"]}

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def wait(
        self,
        dag_id: str,
        run_id: str,
        *,
        timeout: float = 1800,
        progress: Callable[[dict[str, str]], None] = lambda _: None,
    ) -> DagRunResult:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            tasks = self.task_states(dag_id, run_id)
            progress(tasks)
            if state in FINISHED:
                failed = [t for t, s in tasks.items() if s in ("failed", "upstream_failed")]
                return DagRunResult(
                    dag_id, run_id, state, tasks, {t: self.failure_log(dag_id, run_id, t) for t in failed}
                )
            time.sleep(1)
        raise SilobreakError(f"DAG run {dag_id}/{run_id} did not finish within {timeout:.0f}s")

    def failure_log(self, dag_id: str, run_id: str, task_id: str) -> str:
        """The error lines of a failed task's log, so the user need not open the UI."""
        try:
            body = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1")
        except SilobreakError:
            return ""
        lines = [
            str(entry.get("event", "")) if isinstance(entry, dict) else str(entry)
            for entry in (body.get("content") or [])
        ]
        errors = [line for line in lines if "error" in line.lower() or "rejected" in line.lower()]
        return "\n".join((errors or lines)[-10:])
