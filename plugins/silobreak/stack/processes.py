"""Start, watch and stop the stack's long-running processes.

Each service runs detached in its own session with a pid file and a log file in the stack folder,
so ``silobreak up`` can return, ``silobreak status`` can look, and ``silobreak down`` can stop
everything it started (and nothing else).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from silobreak.errors import SilobreakError


def port_is_open(host: str, port: int) -> bool:
    """True when something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def ensure_port_free(service: str, host: str, port: int) -> None:
    """Fail with a message naming the port, instead of a confusing crash of the service."""
    if port_is_open(host, port):
        raise SilobreakError(
            f"port {port} for {service} on {host} is already in use by another process",
            hint=(
                f"stop that process, or pick another port with SILOBREAK_{service.upper()}_PORT=<port>"
                f" (find it with: ss -ltnp 'sport = :{port}')"
            ),
        )


def read_pid(pid_file: Path) -> int | None:
    """The pid in pid_file if that process is still alive."""
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    with contextlib.suppress(ChildProcessError):
        # reap it first if it is our own exited child, so a zombie does not look alive
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> int:
    """Start argv detached from this terminal, logging to log_file; returns its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    pid_file.write_text(f"{proc.pid}\n")
    return proc.pid


def wait_until(
    ready: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    log_file: Path | None = None,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Poll ready() until it holds; on failure show the end of the service's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if alive is not None and not alive():
            break
        time.sleep(0.3)
    tail = ""
    if log_file is not None and log_file.exists():
        tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-15:])
    raise SilobreakError(
        f"{what} did not become ready within {timeout:.0f}s" + (f"; last log lines:\n{tail}" if tail else ""),
        hint=f"see the full log in {log_file}" if log_file else None,
    )


def stop(pid_file: Path, *, timeout: float = 20.0) -> bool:
    """Stop the process group started by spawn(); True if something was running."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and read_pid(pid_file) is not None:
            time.sleep(0.2)
        if read_pid(pid_file) is None:
            break
    pid_file.unlink(missing_ok=True)
    return True
