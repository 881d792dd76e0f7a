"""A FastAPI app of silobreak run by uvicorn as a stack process (the lineage service, the departments' API)."""

from __future__ import annotations

import os
import sys

import httpx

from silobreak.settings import REPO_ROOT, Stack
from silobreak.stack.processes import ensure_port_free, port_is_open, read_pid, spawn, stop, wait_until


class WebService:
    """One uvicorn process serving an app factory, with a pid file, a log and a health check."""

    def __init__(self, stack: Stack, *, name: str, factory: str, what: str) -> None:
        self.stack = stack
        self.name = name
        self.factory = factory
        self.what = what
        self.port = stack.port(name)
        self.pid_file = stack.dir / "run" / f"{name}.pid"
        self.log = stack.dir / "logs" / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://{self.stack.host}:{self.port}"

    def running(self) -> bool:
        return read_pid(self.pid_file) is not None and port_is_open(self.stack.host, self.port)

    def start(self) -> None:
        if self.running():
            return
        ensure_port_free(self.name, self.stack.host, self.port)
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "uvicorn", "--factory", self.factory]
        argv += ["--host", self.stack.host, "--port", str(self.port), "--log-level", "warning"]
        spawn(
            self.name,
            argv,
            pid_file=self.pid_file,
            log_file=self.log,
            env={**os.environ, "SILOBREAK_STACK": self.stack.name},
            cwd=REPO_ROOT,
        )
        wait_until(
            self._healthy,
            what=self.what,
            timeout=30,
            log_file=self.log,
            alive=lambda: read_pid(self.pid_file) is not None,
        )

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> bool:
        return stop(self.pid_file)
