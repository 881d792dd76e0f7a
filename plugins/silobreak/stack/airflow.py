"""Airflow 3 for the project: config file, metadata database, and its three processes.

The stack writes ``airflow.cfg`` into ``.silobreak/<stack>/airflow`` (the AIRFLOW_HOME), so a
plain ``airflow`` command with that AIRFLOW_HOME sees the same settings as the services:
project dags and plugins folders, Postgres metadata database, LocalExecutor, and the
OpenLineage provider sending to the built-in lineage service.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from silobreak.errors import SilobreakError
from silobreak.settings import AIRFLOW_DB, REPO_ROOT, Stack
from silobreak.stack.processes import ensure_port_free, port_is_open, read_pid, spawn, stop, wait_until

BIN = Path(sys.executable).parent
PROCESSES = ("api-server", "scheduler", "dag-processor")
AIRFLOW_LINEAGE_NAMESPACE = "airflow"


def airflow_home(stack: Stack) -> Path:
    return stack.dir / "airflow"


def environment(stack: Stack) -> dict[str, str]:
    """Environment of every Airflow process (and so of every task it runs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        AIRFLOW_HOME=str(airflow_home(stack)),
        SILOBREAK_STACK=stack.name,
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        # tasks import the silobreak package from plugins/ and the DAG files from dags/
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT / "plugins"), env.get("PYTHONPATH")])),
        NO_PROXY="127.0.0.1,localhost",
    )
    # on one machine feeds run when asked (silobreak run, the UI); `SILOBREAK_SCHEDULES=on silobreak up`
    # applies the contracts' schedules as production does. master_data always follows its Assets.
    env.setdefault("SILOBREAK_SCHEDULES", "off")
    return env


def write_config(stack: Stack) -> Path:
    """Write airflow.cfg from the stack's ports and secrets (rewritten on every ``up``)."""
    home = airflow_home(stack)
    home.mkdir(parents=True, exist_ok=True)
    creds = stack.credentials
    api = stack.airflow_url
    cfg = configparser.ConfigParser(interpolation=None)
    cfg["core"] = {
        "dags_folder": str(REPO_ROOT / "dags"),
        "plugins_folder": str(REPO_ROOT / "plugins"),
        "executor": "LocalExecutor",
        "parallelism": "8",
        "load_examples": "False",
        "dags_are_paused_at_creation": "False",
        "simple_auth_manager_all_admins": "True",
        "fernet_key": creds.airflow_fernet_key,
        "execution_api_server_url": f"{api}/execution/",
        "default_task_retries": "1",
    }
    cfg["database"] = {"sql_alchemy_conn": stack.url(AIRFLOW_DB, driver="postgresql+psycopg2")}
    cfg["api"] = {"host": stack.host, "port": str(stack.port("airflow")), "base_url": api, "workers": "1"}
    cfg["api_auth"] = {"jwt_secret": creds.airflow_jwt_secret}
    cfg["dag_processor"] = {"refresh_interval": "10", "min_file_process_interval": "30"}
    cfg["scheduler"] = {"enable_health_check": "False"}
    cfg["logging"] = {"base_log_folder": str(home / "logs"), "logging_level": "INFO"}
    cfg["openlineage"] = {
        # Airflow's own DAG and task runs; silobreak's steps report in "silobreak" as their children
        "namespace": AIRFLOW_LINEAGE_NAMESPACE,
        "transport": json.dumps(
            {
                "type": "http",
                "url": stack.lineage_url,
                "endpoint": "api/v1/lineage",
                "auth": {"type": "api_key", "apiKey": creds.lineage_token},
            }
        ),
    }
    path = home / "airflow.cfg"
    with path.open("w") as fh:
        cfg.write(fh)
    return path


class Airflow:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.port = stack.port("airflow")
        self.run_dir = stack.dir / "run"
        self.logs = stack.dir / "logs"

    def _pid_file(self, process: str) -> Path:
        return self.run_dir / f"airflow-{process}.pid"

    def running(self) -> bool:
        return all(read_pid(self._pid_file(p)) is not None for p in PROCESSES) and port_is_open(
            self.stack.host, self.port
        )

    def migrate(self) -> None:
        """Create or upgrade the metadata database (idempotent)."""
        result = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"],
            env=environment(self.stack),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SilobreakError(
                "airflow db migrate failed:\n" + "\n".join((result.stdout + result.stderr).splitlines()[-20:])
            )

    def start(self) -> None:
        write_config(self.stack)
        if self.running():
            return
        self.stop()  # a half-started set is restarted whole
        ensure_port_free("airflow", self.stack.host, self.port)
        self.migrate()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        env = environment(self.stack)
        for process in PROCESSES:
            spawn(
                f"airflow {process}",
                [str(BIN / "airflow"), process],
                pid_file=self._pid_file(process),
                log_file=self.logs / f"airflow-{process}.log",
                env=env,
                cwd=REPO_ROOT,
            )
        wait_until(
            self._healthy,
            what="Airflow API server",
            timeout=180,
            log_file=self.logs / "airflow-api-server.log",
            alive=lambda: read_pid(self._pid_file("api-server")) is not None,
        )

    def _healthy(self) -> bool:
        try:
            response = httpx.get(f"{self.stack.airflow_url}/api/v2/monitor/health", timeout=2)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def stop(self) -> bool:
        stopped = False
        for process in reversed(PROCESSES):
            stopped |= stop(self._pid_file(process))
        return stopped
