"""Validate OpenLineage events against the JSON Schema of the spec, offline.

The spec's files (``shared/openlineage-spec`` beside the repository, or OPENLINEAGE_SPEC_DIR)
reference each other by ``$id``; all are registered in a local registry, so nothing is fetched.
Each facet is checked against the schema its ``_schemaURL`` names when that schema is known;
custom facets (Airflow's, dbt's) are checked against the core facet definitions by the core schema.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO_ROOT = Path(__file__).resolve().parents[1]
CORE_ID = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def spec_dir() -> Path:
    path = Path(os.environ.get("OPENLINEAGE_SPEC_DIR", REPO_ROOT.parent / "shared" / "openlineage-spec"))
    if not (path / "OpenLineage.json").exists():
        raise FileNotFoundError(
            f"OpenLineage JSON Schema not found in {path}; "
            "set OPENLINEAGE_SPEC_DIR to the folder holding OpenLineage.json"
        )
    return path


@cache
def registry() -> Registry:  # type: ignore[type-arg]
    resources = []
    for file in sorted(spec_dir().rglob("*.json")):
        schema = json.loads(file.read_text())
        resources.append((schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=registry())


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for where, holder in (("run", event.get("run")), ("job", event.get("job"))):
        for name, facet in ((holder or {}).get("facets") or {}).items():
            yield f"{where}.facets.{name}", facet
    for side, facet_keys in (("inputs", ("facets", "inputFacets")), ("outputs", ("facets", "outputFacets"))):
        for i, dataset in enumerate(event.get(side) or []):
            for key in facet_keys:
                for name, facet in (dataset.get(key) or {}).items():
                    yield f"{side}[{i}].{key}.{name}", facet


def problems(event: dict[str, Any]) -> list[str]:
    """Every schema violation of the event and of its known facets (empty when valid)."""
    known = set(registry())  # the $ids registered
    # the event names its own kind (#/$defs/RunEvent ...); checking against the oneOf of all
    # kinds would let a RunEvent without a run pass as a JobEvent
    declared = str(event.get("schemaURL", ""))
    core_ref = declared if declared.split("#", 1)[0] in known and "#" in declared else CORE_ID
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator(core_ref).iter_errors(event)]
    for where, facet in _facets(event):
        url = facet.get("_schemaURL", "")
        base = url.split("#", 1)[0]
        if base in known and base != CORE_ID:
            try:
                _validator(url).validate(facet)
            except ValidationError as exc:
                found.append(f"{where}: {exc.message}")
    return found
