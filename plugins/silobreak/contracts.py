"""Feed contracts: one YAML file per department feed declares everything the pipeline needs.

A contract names its department, source, columns (with type and sensitivity), expectation suite
and quality thresholds; DAGs, validation and loading are driven from it, so onboarding a feed
needs no Python. Errors name the file and the field to fix.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from silobreak.errors import SilobreakError
from silobreak.settings import REPO_ROOT

CONTRACTS_DIR = REPO_ROOT / "contracts" / "feeds"
IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"

Sensitivity = Literal["L1", "L2", "L3", "L4"]
"""Personal-data grading: L1 not sensitive .. L4 sensitive (resident ID, health data)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Strict):
    name: str
    email: str


class PostgresSource(_Strict):
    kind: Literal["postgres"]
    database: str
    table: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", description="schema.table")
    key: str = Field(pattern=IDENTIFIER)


class Column(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    type: Literal["text", "integer", "numeric", "date", "timestamptz", "boolean"]
    sensitivity: Sensitivity
    description: str


class Quality(_Strict):
    max_invalid_share: float = Field(default=0.1, ge=0, le=1)


class FeedContract(_Strict):
    department: str = Field(pattern=IDENTIFIER)
    entity: str = Field(pattern=IDENTIFIER)
    description: str
    owner: Owner
    schedule: str | None = "@daily"
    sharing: Literal["unconditional", "conditional", "not_shared"]
    source: PostgresSource
    suite: str = Field(pattern=IDENTIFIER)
    quality: Quality = Quality()
    columns: list[Column] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _unique_columns(cls, columns: list[Column]) -> list[Column]:
        names = [c.name for c in columns]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"column names must be unique; repeated: {', '.join(duplicated)}")
        return columns

    @property
    def feed(self) -> str:
        """The feed's id: ``<department>__<entity>`` (also the DAG id and the suite's default name)."""
        return f"{self.department}__{self.entity}"

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.department}"

    @property
    def raw_table(self) -> str:
        return self.entity

    @cached_property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def load_contract(path: Path) -> FeedContract:
    """Read and check one contract; a mistake is reported with the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SilobreakError(f"{path}: not valid YAML: {exc}") from exc
    try:
        contract = FeedContract.model_validate(data)
    except ValidationError as exc:
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
        raise SilobreakError(
            f"{path}: the feed contract is not valid:\n{problems}", hint="see docs/contracts.md for every field"
        ) from exc
    expected = f"{contract.feed}.yml"
    if path.name != expected:
        raise SilobreakError(f"{path}: a contract's file is named after its feed", hint=f"rename it to {expected}")
    return contract


def load_contracts(directory: Path = CONTRACTS_DIR) -> list[FeedContract]:
    """Every contract in the folder, sorted by feed."""
    return sorted((load_contract(p) for p in directory.glob("*.yml")), key=lambda c: c.feed)


def get_contract(feed: str, directory: Path = CONTRACTS_DIR) -> FeedContract:
    if not re.match(r"^[a-z0-9_]+$", feed) or not (directory / f"{feed}.yml").exists():
        known = ", ".join(c.feed for c in load_contracts(directory)) or "none"
        raise SilobreakError(f"no feed contract named {feed!r}", hint=f"known feeds: {known}")
    return load_contract(directory / f"{feed}.yml")
