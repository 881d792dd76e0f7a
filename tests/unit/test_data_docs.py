"""Data Docs pages of one process share one GX context, which follows the suite files as they change."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from silobreak.city.residents import generate_residents
from silobreak.contracts import get_contract
from silobreak.pipeline import data_docs, validation
from silobreak.settings import Stack

CONTRACT = get_contract("public_security__residents")


@dataclass(frozen=True)
class _FolderStack(Stack):
    """A stack whose folder is a temporary one: Data Docs need no running service."""

    root: Path = Path()

    @property
    def dir(self) -> Path:
        return self.root


def _suite_names(stack: Stack) -> set[str]:
    return {suite.name for suite in data_docs._sites[stack.dir].context.suites.all()}


def test_pages_share_a_context_that_follows_the_suite_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    suites = tmp_path / "suites"
    shutil.copytree(validation.SUITES_DIR, suites)
    monkeypatch.setattr(validation, "SUITES_DIR", suites)
    monkeypatch.setattr(data_docs, "_sites", {})
    stack = _FolderStack("docs", root=tmp_path / "stack")
    records = generate_residents(50, seed=3, defect_rate=0.2).records.astype(str)
    outcome = validation.validate(CONTRACT, "b1", pd.DataFrame(records, dtype=object))

    def page(batch_id: str) -> Path:
        path = data_docs.publish(stack, CONTRACT, batch_id, outcome.results, outcome.statistics)
        assert path is not None and path.exists()
        return path

    page("b1")
    context = data_docs._sites[stack.dir].context
    assert _suite_names(stack) == {json.loads(p.read_text())["name"] for p in suites.glob("*.json")}

    extra = suites / "extra.json"
    extra.write_text(json.dumps({**json.loads((suites / f"{CONTRACT.suite}.json").read_text()), "name": "extra"}))
    page("b2")
    assert data_docs._sites[stack.dir].context is context, "one context per stack and process"
    assert "extra" in _suite_names(stack)

    edited = json.loads(extra.read_text())
    edited["expectations"] = edited["expectations"][:1]
    extra.write_text(json.dumps(edited))
    os.utime(extra, ns=(extra.stat().st_mtime_ns + 10**9,) * 2)
    page("b3")
    assert len(context.suites.get("extra").expectations) == 1, "a changed suite file is read again"

    extra.unlink()
    page("b4")
    assert "extra" not in _suite_names(stack)
    index = (data_docs.site_dir(stack) / "index.html").read_text(encoding="utf-8")
    assert all(f"/{b}/" in index for b in ("b1", "b2", "b3", "b4")), "the index links every batch's page"
