"""Follow docs/tutorial-onboard-a-department.md verbatim: every `uv run silobreak` line, in order."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from silobreak.settings import REPO_ROOT, Stack
from silobreak.warehouse import connect

TUTORIAL = REPO_ROOT / "docs" / "tutorial-onboard-a-department.md"
CREATED = [
    REPO_ROOT / "contracts" / "feeds" / "housing__rental_contracts.yml",
    REPO_ROOT / "expectations" / "housing__rental_contracts.json",
    REPO_ROOT / "dbt_project" / "models" / "staging" / "housing",
]


def tutorial_commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), flags=re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines() if line.strip()]
    commands = [shlex.split(line) for line in lines if line.startswith("uv run silobreak")]
    assert len(commands) == len(lines), "the tutorial's bash blocks hold only `uv run silobreak` commands"
    return [[sys.executable, "-m", "silobreak", *command[3:]] for command in commands]


@pytest.fixture
def clean_repo() -> Iterator[None]:
    assert not any(path.exists() for path in CREATED), "the tutorial's feed must not exist before the test"
    try:
        yield
    finally:
        for path in CREATED:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "silobreak", "feed", "sync"], cwd=REPO_ROOT, check=True)


def test_the_tutorial_onboards_a_department(stack: Stack, clean_repo: None) -> None:
    outputs = []
    for command in tutorial_commands():
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=900)
        assert result.returncode == 0, f"{shlex.join(command[3:])} failed:\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout + result.stderr)
    with connect(stack) as conn:
        persons = conn.execute(
            "select count(*) from master.master_person where source_feed = 'housing__rental_contracts'"
        ).fetchone()
        held = conn.execute(
            "select count(*) from silobreak.quarantined_rows where feed = 'housing__rental_contracts'"
        ).fetchone()
    assert persons is not None and persons[0] == 58, "the tenants reach master data"
    assert held == (2,), "the two mistyped resident IDs are quarantined"
    assert "gbk" in outputs[0], "the encoding was inferred"
    assert "housing/rental_contracts" in outputs[-1], "lineage reaches the bureau's inbox folder"
    assert Path(TUTORIAL).exists()
