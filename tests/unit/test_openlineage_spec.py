"""The offline schema check itself must be able to fail, or the lineage tests prove nothing."""

from __future__ import annotations

import uuid

from tests.openlineage_spec import problems


def _event() -> dict[str, object]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-26T10:00:00+00:00",
        "producer": "https://github.com/silobreak/silobreak",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "silobreak", "name": "feed.extract"},
        "inputs": [],
        "outputs": [
            {
                "namespace": "s3://landing",
                "name": "public_security/residents",
                "facets": {
                    "schema": {
                        "_producer": "https://github.com/silobreak/silobreak",
                        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": [{"name": "person_no", "type": "text"}],
                    }
                },
            }
        ],
    }


def test_a_valid_event_passes() -> None:
    assert problems(_event()) == []


def test_a_missing_run_id_is_found() -> None:
    event = _event()
    event["run"] = {}
    assert any("runId" in p for p in problems(event))


def test_a_broken_facet_is_found() -> None:
    event = _event()
    event["outputs"][0]["facets"]["schema"]["fields"] = [{"type": "text"}]  # type: ignore[index]
    assert any("name" in p for p in problems(event))
