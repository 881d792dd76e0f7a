"""What can be shared: the master registers (dbt models in schema ``master``) and how sensitive each
column is.

A column's class comes from two places, and the stricter wins: what its dbt model declares
(``meta: {sensitivity: L3, grading: important}``) and, through column lineage, every feed-contract
column that supplies it (``maps_to: person.mobile`` feeds ``master_person.mobile``). A model may
declare a column *less* sensitive than its sources only with ``meta.sensitivity_reason`` (for
example a count derived from IDs); otherwise the sources' class holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from silobreak.contracts import _LOADER, FeedContract, load_contracts
from silobreak.settings import REPO_ROOT

MASTER_SCHEMA = "master"
MODELS_DIR = REPO_ROOT / "dbt_project" / "models" / "marts"
LEVELS = ("L1", "L2", "L3", "L4")
GRADES = ("general", "important", "core")
UNDECLARED_LEVEL = "L2"
"""A column nobody classified and no sensitive source feeds: internal, not personal."""


@dataclass(frozen=True)
class ColumnClass:
    name: str
    data_type: str
    description: str
    level: str
    grading: str
    sources: tuple[str, ...] = ()
    """Contract columns (``feed.column``) it derives from, by column lineage."""
    why: str = ""
    """How the class was decided (declared, derived from which source, or lowered with which reason)."""

    @property
    def sensitive(self) -> bool:
        return self.level in ("L3", "L4") or self.grading != "general"


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    columns: dict[str, ColumnClass] = field(default_factory=dict)

    @property
    def relation(self) -> str:
        return f"{MASTER_SCHEMA}.{self.name}"


def _stricter(a: str, b: str, order: tuple[str, ...]) -> str:
    return a if order.index(a) >= order.index(b) else b


def _lineage(contracts: list[FeedContract]) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    """(register, column) -> [(feed.column, level, grading)] for every contract column mapped to master data.

    ``maps_to: person.name`` feeds ``master_person`` column ``name`` or ``person_name``."""
    fed: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for contract in contracts:
        for column in contract.columns:
            if column.maps_to is None:
                continue
            entity, attribute = column.maps_to.split(".", 1)
            source = (f"{contract.feed}.{column.name}", column.sensitivity, column.grading)
            for target in {attribute, f"{entity}_{attribute}"}:
                fed.setdefault((f"master_{entity}", target), []).append(source)
    return fed


def _classify(meta: dict[str, Any], sources: list[tuple[str, str, str]]) -> tuple[str, str, str]:
    declared_level = meta.get("sensitivity")
    declared_grade = meta.get("grading")
    derived_level = max((s[1] for s in sources), key=LEVELS.index, default=None)
    derived_grade = max((s[2] for s in sources), key=GRADES.index, default=None)
    reason = meta.get("sensitivity_reason")
    level = declared_level if declared_level in LEVELS else None
    grade = declared_grade if declared_grade in GRADES else None
    if level and reason:
        return level, grade or "general", f"declared {level}: {reason}"
    if level is None and derived_level is None:
        return UNDECLARED_LEVEL, grade or "general", "undeclared"
    final_level = _stricter(level or "L1", derived_level or "L1", LEVELS)
    final_grade = _stricter(grade or "general", derived_grade or "general", GRADES)
    why = "declared" if final_level == level else f"from {', '.join(s[0] for s in sources if s[1] == final_level)}"
    return final_level, final_grade, why


def load_catalog(models_dir: Path = MODELS_DIR, contracts: list[FeedContract] | None = None) -> dict[str, Dataset]:
    """Every master register documented in the dbt project, with its columns' classes."""
    lineage = _lineage(load_contracts() if contracts is None else contracts)
    datasets: dict[str, Dataset] = {}
    for path in sorted(models_dir.glob("*.yml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}  # noqa: S506 - safe loader
        for model in doc.get("models") or []:
            columns = {}
            for col in model.get("columns") or []:
                sources = lineage.get((model["name"], col["name"]), [])
                level, grade, why = _classify(col.get("meta") or {}, sources)
                columns[col["name"]] = ColumnClass(
                    name=col["name"],
                    data_type=str(col.get("data_type", "text")),
                    description=" ".join(str(col.get("description", "")).split()),
                    level=level,
                    grading=grade,
                    sources=tuple(s[0] for s in sources),
                    why=why,
                )
            datasets[model["name"]] = Dataset(
                name=model["name"], description=" ".join(str(model.get("description", "")).split()), columns=columns
            )
    return datasets
