"""The embedded S3 server (s3rver, from npm), spoken to with the ``minio`` client as MinIO would be.

s3rver keeps every object as a file in ``.silobreak/<stack>/s3``, so landed batches survive a
restart of the stack (see docs/adr/0002-embedded-s3-server.md for why not moto or MinIO).
"""

from __future__ import annotations

import os

from minio import Minio

from silobreak.errors import SilobreakError
from silobreak.settings import BUCKETS, REPO_ROOT, Stack
from silobreak.stack.processes import ensure_port_free, port_is_open, read_pid, spawn, stop, wait_until

S3RVER = REPO_ROOT / "infra" / "s3" / "node_modules" / ".bin" / "s3rver"


def client(stack: Stack) -> Minio:
    """A minio client for the stack's object store (the same client code speaks to real MinIO)."""
    creds = stack.credentials
    return Minio(stack.s3_endpoint, access_key=creds.s3_access_key, secret_key=creds.s3_secret_key, secure=False)


class S3Server:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.data = stack.dir / "s3"
        self.pid_file = stack.dir / "run" / "s3.pid"
        self.log = stack.dir / "logs" / "s3.log"
        self.port = stack.port("s3")

    def running(self) -> bool:
        return read_pid(self.pid_file) is not None and port_is_open(self.stack.host, self.port)

    def start(self) -> None:
        if not self.running():
            if not S3RVER.exists():
                raise SilobreakError(
                    "the embedded S3 server (s3rver) is not installed",
                    hint="run `make install` (it runs `npm ci` in infra/s3)",
                )
            ensure_port_free("s3", self.stack.host, self.port)
            self.data.mkdir(parents=True, exist_ok=True)
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            spawn(
                "s3",
                [str(S3RVER), "-d", str(self.data), "-a", self.stack.host, "-p", str(self.port), "--silent"],
                pid_file=self.pid_file,
                log_file=self.log,
                env={**os.environ},
            )
            wait_until(
                lambda: port_is_open(self.stack.host, self.port),
                what="S3 server",
                timeout=30,
                log_file=self.log,
                alive=lambda: read_pid(self.pid_file) is not None,
            )
        s3 = client(self.stack)
        for bucket in BUCKETS:
            if not s3.bucket_exists(bucket):
                s3.make_bucket(bucket)

    def stop(self) -> bool:
        return stop(self.pid_file)
