"""Feed contracts: the repo's own validate, and broken ones say which file and field to fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from silobreak.contracts import CONTRACTS_DIR, get_contract, load_contract, load_contracts
from silobreak.errors import SilobreakError
from silobreak.pipeline.validation import suite_path


def test_every_contract_in_the_repo_validates_and_has_its_suite() -> None:
    contracts = load_contracts()
    assert contracts
    for contract in contracts:
        assert suite_path(contract).exists(), f"{contract.feed}: no suite {suite_path(contract)}"


def _broken(tmp_path: Path, change: dict[str, object], name: str = "public_security__residents.yml") -> Path:
    data = yaml.safe_load((CONTRACTS_DIR / "public_security__residents.yml").read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sharing": "sometimes"}, "sharing"),
        (
            {"source": {"kind": "postgres", "database": "departments", "table": "residents", "key": "person_no"}},
            "source.table",
        ),
        ({"columns": []}, "columns"),
        ({"colums": []}, "colums"),
        (
            {"columns": [{"name": "a", "type": "text", "sensitivity": "L9", "description": "x"}]},
            "columns.0.sensitivity",
        ),
        ({"columns": [{"name": "a", "type": "text", "sensitivity": "L1", "description": "x"}] * 2}, "repeated: a"),
    ],
)
def test_a_broken_contract_names_file_and_field(tmp_path: Path, change: dict[str, object], message: str) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(SilobreakError) as error:
        load_contract(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


def test_a_contract_file_is_named_after_its_feed(tmp_path: Path) -> None:
    with pytest.raises(SilobreakError, match=re.escape("rename it to public_security__residents.yml")):
        load_contract(_broken(tmp_path, {}, name="residents.yml"))


def test_an_unknown_feed_lists_the_known_ones() -> None:
    with pytest.raises(SilobreakError) as error:
        get_contract("nope")
    assert "public_security__residents" in str(error.value)


def test_errors_give_the_line_and_a_suggestion(tmp_path: Path) -> None:
    text = (CONTRACTS_DIR / "public_security__residents.yml").read_text(encoding="utf-8")
    broken = text.replace("sharing: conditional", "sharing: sometimes").replace("  key: person_no", "  kee: person_no")
    path = tmp_path / "public_security__residents.yml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(SilobreakError) as error:
        load_contract(path)
    lines = text.splitlines()
    sharing_line = next(i for i, line in enumerate(lines, 1) if line.startswith("sharing:"))
    key_line = next(i for i, line in enumerate(lines, 1) if line.strip() == "key: person_no")
    assert f"{path}:{sharing_line}: sharing: Input should be" in str(error.value)
    assert f"{path}:{key_line}: source.kee: unknown field; did you mean 'key'?" in str(error.value)
