"""`silobreak feed new --sample postgres:schema.table` infers a contract from a department's table."""

from __future__ import annotations

from silobreak.onboarding import infer_from_table
from silobreak.settings import SOURCES_DB, Stack


def test_a_departments_table_is_understood(stack: Stack) -> None:
    guess = infer_from_table(stack.dsn(SOURCES_DB), "public_security.residents")
    by_name = {c.name: c for c in guess.columns}
    assert guess.key == "person_no", "the table's primary key"
    assert (by_name["id_card_no"].maps_to, by_name["id_card_no"].sensitivity) == ("person.resident_id", "L4")
    assert by_name["name"].maps_to == "person.name"
    assert by_name["phone"].maps_to == "person.mobile"
    assert by_name["birth_date"].type == "date"
    assert by_name["updated_at"].type == "timestamptz"
    assert by_name["division_code"].type == "text", "codes stay text, however numeric they look"
