"""What the lineage service checks in an incoming OpenLineage event before it stores anything.

Only the parts the store indexes are modelled (run, job, datasets and the facets that feed the read
tables: schema, tags, version, columnLineage, parent); everything else is allowed and kept as sent.
A wrong type anywhere in those parts is a 400 naming the field, never a 500 or a half-stored event.
"""

# ruff: noqa: N815 - fields are named as the OpenLineage spec names them

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class JobRef(_Open):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)


class _ParentRun(_Open):
    runId: UUID


class Parent(_Open):
    run: _ParentRun
    job: JobRef


class RunFacets(_Open):
    parent: Parent | None = None


class RunRef(_Open):
    runId: UUID
    facets: RunFacets | None = None


class SchemaField(_Open):
    name: str = Field(min_length=1)
    type: str | None = None
    description: str | None = None


class Schema(_Open):
    fields: list[SchemaField] = []


class Tag(_Open):
    key: str = Field(min_length=1)
    value: str
    source: str | None = None
    field: str | None = None


class Tags(_Open):
    tags: list[Tag] = []


class Version(_Open):
    datasetVersion: str


class Transformation(_Open):
    type: str = Field(min_length=1)
    subtype: str | None = None
    description: str | None = None
    masking: bool | None = None


class InputField(_Open):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    transformations: list[Transformation] = []


class ColumnFields(_Open):
    inputFields: list[InputField]
    transformationDescription: str | None = None
    transformationType: str | None = None


class ColumnLineage(_Open):
    fields: dict[str, ColumnFields]


class DatasetFacets(_Open):
    schema_: Schema | None = Field(default=None, alias="schema")
    tags: Tags | None = None
    version: Version | None = None
    columnLineage: ColumnLineage | None = None


class Dataset(_Open):
    namespace: str = Field(min_length=1)
    name: str = Field(min_length=1)
    facets: DatasetFacets | None = None


class RunEventIn(_Open):
    """An OpenLineage RunEvent as far as the store reads it."""

    eventTime: datetime
    producer: str = Field(min_length=1)
    schemaURL: str = Field(min_length=1)
    eventType: Literal["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"] | None = None
    run: RunRef
    job: JobRef
    inputs: list[Dataset] | None = None
    outputs: list[Dataset] | None = None
