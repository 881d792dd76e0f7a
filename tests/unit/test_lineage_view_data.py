"""How the governance view names departments, feeds and shared tables from dataset names and facets."""

from __future__ import annotations

from pathlib import Path

from silobreak.lineage.view import data


def test_department_from_tags_then_owners_then_raw_schema() -> None:
    tagged = {
        "tags": {
            "tags": [{"key": "department", "value": "health"}, {"key": "sensitivity", "value": "L4", "field": "x"}]
        }
    }
    assert data.departments("warehouse.staging.stg_x", tagged) == ["health"]
    owned = {"ownership": {"owners": [{"name": "department:traffic_police"}, {"name": "team:ops"}]}}
    assert data.departments("warehouse.staging.stg_x", owned) == ["traffic_police"]
    assert data.departments("warehouse.raw_civil_affairs.marriages", {}) == ["civil_affairs"]
    assert data.departments("warehouse.staging.stg_x", {}) == []


def test_groups_feeds_and_shared_tables() -> None:
    assert data.group_of(["health"]) == "health"
    assert data.group_of(["health", "civil_affairs"]) == data.MULTI
    assert data.group_of([]) == data.NONE
    assert data.feed_of("warehouse.raw_public_security.residents") == "public_security__residents"
    assert data.feed_of("warehouse.staging.stg_public_security__residents") is None
    assert data.is_shared("warehouse.master.master_person")
    assert not data.is_shared("warehouse.raw_health.vaccinations")


def test_data_docs_page_of_a_batch(tmp_path: Path) -> None:
    page = tmp_path / "validations" / "health__vaccinations" / "b-1" / "20261126" / "run.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html></html>")
    assert data._data_docs_page(tmp_path, "b-1") == "data-docs/validations/health__vaccinations/b-1/20261126/run.html"
    assert data._data_docs_page(tmp_path, "b-2") is None
    assert data._data_docs_page(tmp_path, "../b-1") is None
    assert data._data_docs_page(None, "b-1") is None
