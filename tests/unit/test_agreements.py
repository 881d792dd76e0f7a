"""Agreement files: structure, rules against the catalog, and hostile input, each with file and line."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

from silobreak.contracts import load_contracts
from silobreak.errors import SilobreakError
from silobreak.sharing.catalog import load_catalog
from silobreak.sharing.model import MAX_FILE_BYTES, load_agreement, load_agreements
from silobreak.sharing.policy import grants, problems

TODAY = date(2026, 6, 1)
VALID = """\
consumer: health
dataset: master_person
purpose: Invite residents to vaccinations that are due.
legal_basis: {kind: law, reference: Vaccine Administration Law art. 47}
start: 2026-01-01
end: 2026-12-31
columns:
  - {name: resident_id, access: pseudonym}
  - {name: person_name}
  - {name: gender}
"""


def write(tmp_path: Path, text: str, name: str = "health__master_person.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def check(tmp_path: Path, text: str) -> list[str]:
    return problems(load_agreement(write(tmp_path, text)), load_catalog(), TODAY, ended_is_error=True)


def test_the_repository_agreements_are_valid() -> None:
    files = load_agreements()
    assert {f.agreement.id for f in files} >= {"health__master_person"}
    catalog = load_catalog()
    for file in files:
        assert problems(file, catalog, file.agreement.start, ended_is_error=True) == []


def test_sensitive_columns_are_masked_unless_granted_in_clear(tmp_path: Path) -> None:
    file = load_agreement(write(tmp_path, VALID))
    access = {g.column.name: g.access for g in grants(file, load_catalog()["master_person"])}
    assert access == {"resident_id": "pseudonym", "person_name": "masked", "gender": "clear"}


def test_an_unknown_field_names_the_line_and_the_field_meant(tmp_path: Path) -> None:
    with pytest.raises(SilobreakError) as err:
        load_agreement(write(tmp_path, VALID.replace("purpose:", "purpos:")))
    assert "health__master_person.yml:3: purpos: unknown field; did you mean 'purpose'?" in err.value.message


def test_an_unknown_column_names_the_line_and_the_column_meant(tmp_path: Path) -> None:
    found = check(tmp_path, VALID.replace("{name: gender}", "{name: gendre}"))
    assert len(found) == 1
    assert "health__master_person.yml:10: unknown column 'gendre'; did you mean 'gender'?" in found[0]


def test_a_sensitive_column_in_clear_needs_a_reason(tmp_path: Path) -> None:
    found = check(tmp_path, VALID.replace("{name: person_name}", "{name: person_name, access: clear}"))
    assert len(found) == 1 and ":9: person_name (L3" in found[0] and "not justified by the purpose" in found[0]
    with_reason = VALID.replace(
        "{name: person_name}", "{name: person_name, access: clear, reason: The letter is addressed by name.}"
    )
    assert check(tmp_path, with_reason) == []


def test_an_l4_column_in_clear_needs_a_law_or_regulation(tmp_path: Path) -> None:
    text = VALID.replace("kind: law", "kind: consent").replace(
        "{name: resident_id, access: pseudonym}", "{name: resident_id, access: clear, reason: Matching by the ID.}"
    )
    found = check(tmp_path, text)
    assert len(found) == 1 and ":8: resident_id (L4" in found[0] and "law or regulation" in found[0]


def test_ended_agreements_fail_the_check_and_dates_must_be_in_order(tmp_path: Path) -> None:
    found = check(tmp_path, VALID.replace("end: 2026-12-31", "end: 2026-03-31"))
    assert found == [f"{tmp_path / 'health__master_person.yml'}:6: the agreement ended on 2026-03-31; "
                     "extend 'end' or delete the file (apply revokes it either way)"]  # fmt: skip
    with pytest.raises(SilobreakError, match="end \\(2025-12-31\\) is before start"):
        load_agreement(write(tmp_path, VALID.replace("end: 2026-12-31", "end: 2025-12-31")))


def test_an_unknown_dataset_and_a_misnamed_file(tmp_path: Path) -> None:
    text = VALID.replace("dataset: master_person", "dataset: master_persons")
    found = problems(load_agreement(write(tmp_path, text, "health__master_persons.yml")), load_catalog(), TODAY,
                     ended_is_error=True)  # fmt: skip
    assert len(found) == 1 and ":2: unknown dataset 'master_persons'; did you mean 'master_person'?" in found[0]
    with pytest.raises(SilobreakError, match=r"rename it to health__master_person\.yml"):
        load_agreement(write(tmp_path, VALID, "health.yml"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("consumer: health", 'consumer: "health; drop table master.master_person; --"'), ":1: consumer: String"),
        (("{name: gender}", '{name: "gender\\" from pg_authid --"}'), ":10: columns.2.name: String"),
        (("{name: gender}", '{name: "Gender"}'), ":10: columns.2.name: String"),
        (("{name: gender}", "{name: 性别}"), ":10: columns.2.name: String"),
        (("dataset: master_person", "dataset: pg_catalog.pg_authid"), ":2: dataset: String"),
        (("consumer: health", "consumer: " + "h" * 41), ":1: consumer: String"),
    ],
)
def test_hostile_names_are_rejected_with_their_line(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    with pytest.raises(SilobreakError) as err:
        load_agreement(write(tmp_path, VALID.replace(*change)))
    assert expected in err.value.message


def test_huge_files_and_yaml_alias_bombs_are_refused_before_parsing(tmp_path: Path) -> None:
    huge = VALID + "# " + "x" * MAX_FILE_BYTES + "\n"
    with pytest.raises(SilobreakError, match="too big for an agreement"):
        load_agreement(write(tmp_path, huge))
    bomb = VALID + 'x0: &a ["a","a","a","a","a","a","a","a","a"]\nx1: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    with pytest.raises(SilobreakError, match=r":11: YAML anchors and aliases"):
        load_agreement(write(tmp_path, bomb))


def test_row_filter_needs_exactly_one_test_on_a_known_column(tmp_path: Path) -> None:
    with pytest.raises(SilobreakError, match="exactly one of 'in'"):
        load_agreement(write(tmp_path, VALID + "row_filter: {column: gender}\n"))
    found = check(tmp_path, VALID + "row_filter: {column: district, in: ['440306']}\n")
    assert len(found) == 1 and ":11: unknown column 'district'" in found[0]


def test_derived_columns_inherit_their_sources_sensitivity() -> None:
    catalog = load_catalog()["master_person"].columns
    # gender is not classified in dbt; the contracts that feed it say L2
    assert catalog["gender"].level == "L2" and "public_security__residents.gender" in catalog["gender"].sources
    # a contract that made the source L4 makes the master column L4, whatever dbt declares
    contracts = [
        c.model_copy(
            update={
                "columns": [
                    col.model_copy(update={"sensitivity": "L4"}) if col.name == "gender" else col for col in c.columns
                ]
            }
        )
        for c in load_contracts()
    ]
    assert load_catalog(contracts=contracts)["master_person"].columns["gender"].level == "L4"


def test_agreements_in_force_become_dbt_exposures_of_their_register() -> None:
    import yaml

    from silobreak.sharing.dictionary import dbt_exposures

    files = load_agreements()
    doc = yaml.safe_load(dbt_exposures(files, TODAY))
    assert doc["version"] == 2
    assert {e["name"] for e in doc["exposures"]} == {f.agreement.id for f in files if f.agreement.active(TODAY)}
    health = next(e for e in doc["exposures"] if e["name"] == "health__master_person")
    assert health["depends_on"] == ["ref('master_person')"] and health["owner"] == {"name": "health"}
    assert yaml.safe_load(dbt_exposures(files, date(2030, 1, 1)))["exposures"] == [], "ended: no longer a consumer"


def test_personal_logins_are_plain_names_per_department(tmp_path: Path) -> None:
    from silobreak.sharing.model import load_logins

    (tmp_path / "logins").mkdir()
    path = tmp_path / "logins" / "health.yml"
    path.write_text("department: health\nusers:\n  - {name: wang_li, person: 王丽}\n", encoding="utf-8")
    assert load_logins(tmp_path) == {"health": ["wang_li"]}
    path.write_text('department: health\nusers:\n  - {name: "x; drop role y", person: 王丽}\n', encoding="utf-8")
    with pytest.raises(SilobreakError, match=r"health\.yml:3: users\.0\.name: String"):
        load_logins(tmp_path)
    path.write_text("department: health\nusers:\n  - {name: svc, persn: 王丽}\n", encoding="utf-8")
    with pytest.raises(SilobreakError, match="did you mean 'person'"):
        load_logins(tmp_path)
