"""The departments' HTTP API as a stack process (uvicorn serving silobreak.city.api)."""

from __future__ import annotations

from silobreak.settings import Stack
from silobreak.stack.web_service import WebService


class DepartmentsApi(WebService):
    def __init__(self, stack: Stack) -> None:
        super().__init__(stack, name="departments_api", factory="silobreak.city.api:app", what="departments API")
