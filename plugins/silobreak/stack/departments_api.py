"""The departments' HTTP API as a stack process (uvicorn serving silobreak.city.api)."""

from __future__ import annotations

import os
import sys

import httpx

from silobreak.settings import REPO_ROOT, Stack
from silobreak.stack.processes import ensure_port_free, port_is_open, read_pid, spawn, stop, wait_until


class DepartmentsApi:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.port = stack.port("departments_api")
        self.pid_file = stack.dir / "run" / "departments_api.pid"
        self.log = stack.dir / "logs" / "departments_api.log"

    def running(self) -> bool:
        return read_pid(self.pid_file) is not None and port_is_open(self.stack.host, self.port)

    def start(self) -> None:
        if self.running():
            return
        ensure_port_free("departments_api", self.stack.host, self.port)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        spawn(
            "departments_api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "silobreak.city.api:app",
                "--host",
                self.stack.host,
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            pid_file=self.pid_file,
            log_file=self.log,
            env={**os.environ, "SILOBREAK_STACK": self.stack.name},
            cwd=REPO_ROOT,
        )
        wait_until(
            self._healthy,
            what="departments API",
            timeout=30,
            log_file=self.log,
            alive=lambda: read_pid(self.pid_file) is not None,
        )

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.stack.departments_api_url}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> bool:
        return stop(self.pid_file)
