"""Feed contracts: one YAML file per department feed declares everything the pipeline needs.

A contract names its department and owner, its source (a database table or query, files dropped
into the department's inbox, or an HTTP API), its columns with type and sensitivity, how columns
map to master data, its expectation suite, quality thresholds and sharing type. DAGs, validation,
loading and lineage are driven from it, so onboarding a feed needs no Python. Mistakes are
reported with the file, the line and what to write instead.
"""

from __future__ import annotations

import difflib
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from silobreak.errors import SilobreakError
from silobreak.settings import INBOX_BUCKET, REPO_ROOT, SOURCES_DB

CONTRACTS_DIR = Path(os.environ.get("SILOBREAK_CONTRACTS_DIR", REPO_ROOT / "contracts" / "feeds"))
IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"

Sensitivity = Literal["L1", "L2", "L3", "L4"]
"""Personal-data grading: L1 not sensitive .. L4 sensitive (resident ID, health data)."""

Grading = Literal["general", "important", "core"]
"""National data grading (GB/T 43697-2024): general < important < core."""

ColumnType = Literal["text", "integer", "numeric", "date", "timestamptz", "boolean"]
Key = Annotated[str, Field(pattern=IDENTIFIER)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Owner(_Strict):
    name: str
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")


class _Source(_Strict):
    key: Key | list[Key] = Field(description="column(s) identifying a record in the department's system")
    incremental: Key | None = Field(
        default=None, description="column whose growth marks new or changed records (e.g. updated_at)"
    )

    @property
    def keys(self) -> list[str]:
        return [self.key] if isinstance(self.key, str) else list(self.key)


class PostgresSource(_Source):
    """A table (or query) in the department's own Postgres database."""

    kind: Literal["postgres"]
    database: str = SOURCES_DB
    table: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$", description="schema.table")
    query: str | None = Field(default=None, description="a read-only SELECT, instead of table")

    @model_validator(mode="after")
    def _table_or_query(self) -> PostgresSource:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' (schema.table) or 'query' (a SELECT)")
        if self.query is not None and not re.match(r"^\s*(select|with)\b", self.query, re.IGNORECASE):
            raise ValueError("query must be a single SELECT (or WITH ... SELECT) statement")
        return self


class FileDropSource(_Source):
    """Files the department drops into its folder of the inbox bucket; each file is one batch."""

    kind: Literal["file_drop"]
    bucket: str = INBOX_BUCKET
    prefix: str = Field(
        pattern=r"^[a-z0-9_]+/[a-z0-9_/]*$", description="folder in the bucket, e.g. health/vaccinations/"
    )
    pattern: str = Field(default="*", description="glob on the file name, e.g. *.csv")
    format: Literal["csv", "jsonl", "xlsx"]
    encoding: Literal["utf-8", "utf-8-sig", "gbk", "gb18030"] = "utf-8"
    delimiter: str = Field(default=",", min_length=1, max_length=1)


class HttpApiSource(_Source):
    """A paginated JSON API of the department (``items`` and ``next`` in each page)."""

    kind: Literal["http_api"]
    path: str = Field(
        pattern=r"^/[A-Za-z0-9_./-]*$", description="path on the departments API, e.g. /api/v1/traffic_police/accidents"
    )
    page_size: int = Field(default=500, ge=1, le=1000)


Source = Annotated[PostgresSource | FileDropSource | HttpApiSource, Field(discriminator="kind")]


class Column(_Strict):
    name: str = Field(pattern=IDENTIFIER)
    type: ColumnType
    sensitivity: Sensitivity
    grading: Grading = Field(default="general", description="national grade: general, important or core")
    description: str
    maps_to: str | None = Field(
        default=None,
        pattern=r"^(person|legal_entity|address)\.[a-z_]+$",
        description="master attribute this column supplies, e.g. person.resident_id",
    )


class Volume(_Strict):
    """How far a batch's row count may stray from the median of the feed's recent loaded batches."""

    tolerance: float = Field(default=0.5, gt=0)
    history: int = Field(default=5, ge=1, le=100)
    on_breach: Literal["warn", "reject"] = "warn"


class Quality(_Strict):
    max_invalid_share: float = Field(default=0.1, ge=0, le=1)
    volume: Volume = Volume()


class FeedContract(_Strict):
    department: str = Field(pattern=IDENTIFIER)
    entity: str = Field(pattern=IDENTIFIER)
    description: str
    owner: Owner
    schedule: str | None = "@daily"
    sharing: Literal["unconditional", "conditional", "not_shared"]
    source: Source
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

    @model_validator(mode="after")
    def _keys_are_columns(self) -> FeedContract:
        names = set(self.column_names)
        wanted = self.source.keys + ([self.source.incremental] if self.source.incremental else [])
        missing = [k for k in wanted if k not in names]
        if missing:
            raise ValueError(f"source key/incremental column(s) {', '.join(missing)} must be listed in columns")
        return self

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

    @property
    def snapshot(self) -> bool:
        """True when each batch is the whole table (a Postgres source without an incremental column);
        otherwise batches are changes, and the current state is the latest row per key."""
        return isinstance(self.source, PostgresSource) and self.source.incremental is None

    @cached_property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (or of its nearest parent)."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                break
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def _allowed_fields(loc: tuple[int | str, ...], data: Any) -> list[str]:
    model: type[BaseModel] = FeedContract
    value = data
    for part in loc[:-1]:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            value = None
        if part == "source" and isinstance(value, dict):
            kinds: dict[str, type[BaseModel]] = {
                "postgres": PostgresSource,
                "file_drop": FileDropSource,
                "http_api": HttpApiSource,
            }
            model = kinds.get(str(value.get("kind")), PostgresSource)
        elif part == "owner":
            model = Owner
        elif part == "quality":
            model = Quality
        elif part == "columns":
            model = Column
    return list(model.model_fields)


SOURCE_KINDS = ("postgres", "file_drop", "http_api")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader is ~20x faster; contracts are read every time Airflow parses the DAG file."""


def _location(err: Any) -> tuple[int | str, ...]:
    """The error's path in the YAML, without pydantic's discriminator tags."""
    return tuple(p for p in err["loc"] if p not in SOURCE_KINDS)


def _describe(err: Any, data: Any) -> str:
    loc = _location(err)
    where = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = _allowed_fields(loc, data)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(allowed)}"
        return f"{where}: unknown field; {suggestion}"
    if err["type"] == "missing":
        return f"{where}: required field is missing; add it"
    return f"{where}: {err['msg']}"


def parse_contract(text: str, source: str) -> FeedContract:
    """Check a contract's text; ``source`` names it in messages (a path, or 'new contract')."""
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (libyaml's when present)
    except yaml.YAMLError as exc:
        raise SilobreakError(f"{source}: not valid YAML: {exc}") from exc
    try:
        return FeedContract.model_validate(data)
    except ValidationError as exc:
        root = yaml.compose(text)  # node positions, only needed to report the lines
        lines = []
        for err in exc.errors():
            line = _line_of(root, _location(err))
            lines.append(f"  {source}:{line or '?'}: {_describe(err, data)}")
        raise SilobreakError(
            f"{source}: the feed contract is not valid:\n" + "\n".join(lines),
            hint="see docs/contracts.md for every field",
        ) from exc


def load_contract(path: Path) -> FeedContract:
    """Read and check one contract; a mistake is reported with the file, line and field."""
    contract = parse_contract(path.read_text(encoding="utf-8"), str(path))
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
