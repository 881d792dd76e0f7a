"""Clear errors from the stack's process handling."""

from __future__ import annotations

import socket

import pytest

from silobreak.errors import SilobreakError
from silobreak.stack.processes import ensure_port_free


def test_a_taken_port_is_named_in_the_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(SilobreakError) as error:
            ensure_port_free("s3", "127.0.0.1", port)
    assert f"port {port}" in str(error.value)
    assert "SILOBREAK_S3_PORT" in str(error.value)


def test_a_free_port_passes() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ensure_port_free("s3", "127.0.0.1", port)
