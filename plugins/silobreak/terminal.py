"""Consoles for the CLI: results on stdout (wide when piped to a log), messages on stderr."""

from __future__ import annotations

import sys

from rich.console import Console


def stdout() -> Console:
    """Console for results; wide enough for tables and trees when output goes to a file or pipe."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def stderr() -> Console:
    return Console(stderr=True)
