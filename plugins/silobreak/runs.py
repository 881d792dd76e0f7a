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

    def asset_changed(self, uri: str, extra: dict[str, Any] | None = None) -> None:
        """Tell Airflow an Asset changed outside a DAG (a governance release), so the DAGs scheduled
        on it run as they would after a feed's load."""
        assets = self._call("GET", "/assets", params={"uri_pattern": uri, "limit": 100})["assets"]
        match = [a for a in assets if a["uri"] == uri]
        if not match:
            raise SilobreakError(f"Airflow knows no Asset {uri}", hint="is the feed's DAG parsed?")
        self._call("POST", "/assets/events", json={"asset_id": match[0]["id"], "extra": extra or {}})

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

    def runs_since(self, dag_id: str, since: str, run_type: str | None = None) -> list[dict[str, Any]]:
        """Runs of a DAG queued at or after ``since`` (ISO time), oldest first."""
        params = {"run_after_gte": since, "order_by": "run_after"}
        if run_type:
            params["run_type"] = run_type
        body = self._call("GET", f"/dags/{dag_id}/dagRuns", params=params)
        return list(body["dag_runs"])

    def wait_for_triggered(
        self,
        dag_id: str,
        since: str,
        *,
        appear_within: float = 120,
        timeout: float = 1800,
        progress: Callable[[dict[str, str]], None] = lambda _: None,
    ) -> DagRunResult | None:
        """Follow the last run that an Asset update queued after ``since``; None if none came."""
        deadline = time.monotonic() + appear_within
        runs: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            runs = self.runs_since(dag_id, since, run_type="asset_triggered")
            if runs:
                break
            time.sleep(1)
        if not runs:
            return None
        # several feeds may each have queued a run; wait for all, report the last
        result = None
        while True:
            for run in self.runs_since(dag_id, since, run_type="asset_triggered"):
                result = self.wait(dag_id, run["dag_run_id"], timeout=timeout, progress=progress)
            pending = [
                r for r in self.runs_since(dag_id, since, run_type="asset_triggered") if r["state"] not in FINISHED
            ]
            if not pending:
                return result

    def failure_log(self, dag_id: str, run_id: str, task_id: str) -> str:
        """The error lines of a failed task's log, so the user need not open the UI."""
        try:
            body = self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1")
        except SilobreakError:
            return ""
        lines, errors = [], []
        for entry in body.get("content") or []:
            if not isinstance(entry, dict):
                lines.append(str(entry))
                continue
            lines.append(str(entry.get("event", "")))
            for detail in entry.get("error_detail") or []:
                errors.append(f"{detail.get('exc_type')}: {detail.get('exc_value')}")
            if entry.get("level") == "error" and not entry.get("error_detail"):
                errors.append(str(entry.get("event", "")))
        return "\n".join((errors or lines)[-10:])
