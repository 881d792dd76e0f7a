"""The built-in lineage service as a stack process (uvicorn serving silobreak.lineage.service)."""

from __future__ import annotations

from silobreak.settings import Stack
from silobreak.stack.web_service import WebService


class LineageService(WebService):
    def __init__(self, stack: Stack) -> None:
        super().__init__(stack, name="lineage", factory="silobreak.lineage.service:app", what="lineage service")
