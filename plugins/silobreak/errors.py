"""The one error type users see: a message saying what went wrong and a hint saying what to do."""

from __future__ import annotations


class SilobreakError(Exception):
    """An error the user can act on; the CLI prints it without a traceback."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"
