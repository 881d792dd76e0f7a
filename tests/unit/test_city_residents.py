"""The synthetic Public Security residents: shape, ID validity, injected defects, determinism.

Downstream tests score the pipeline against ``truth``, so the generator must
inject exactly what ``truth`` says and nothing else; these tests pin that.
"""

from __future__ import annotations

import datetime
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from silobreak.city import vocab
from silobreak.city.residents import (
    DEFECT_KINDS,
    RECORD_COLUMNS,
    SHENZHEN_DIVISIONS,
    TRUTH_COLUMNS,
    VARIATION_KINDS,
    Residents,
    generate_residents,
    residents_to_postgres,
)
from silobreak.identifiers import (
    PROBLEM_BAD_BIRTH_DATE,
    birth_date_from_resident_id,
    gender_from_resident_id,
    is_valid_mobile,
    is_valid_resident_id,
    normalise_resident_id,
    resident_id_problems,
)

N = 2000
TODAY = datetime.date(2026, 11, 1)
ID_DEFECTS = {"bad_check_digit", "impossible_birth_date", "missing_id"}
RETIRED_CODES = set(vocab.RETIRED_SHENZHEN_DIVISIONS)


@pytest.fixture(scope="module")
def residents() -> Residents:
    return generate_residents(N, seed=7, today=TODAY)


@pytest.fixture(scope="module")
def joined(residents: Residents) -> pd.DataFrame:
    return residents.records.merge(residents.truth, on="person_no", validate="1:1")


def test_columns_and_order(residents: Residents) -> None:
    assert list(residents.records.columns) == list(RECORD_COLUMNS)
    assert list(residents.truth.columns) == list(TRUTH_COLUMNS)
    assert len(residents.records) == len(residents.truth) == N
    assert (residents.records["person_no"] == residents.truth["person_no"]).all()


def test_column_types(residents: Residents) -> None:
    records = residents.records
    assert all(type(d) is datetime.date for d in records["birth_date"])
    assert str(records["updated_at"].dt.tz) == "Asia/Shanghai"
    assert records["updated_at"].max() < pd.Timestamp(TODAY, tz="Asia/Shanghai")
    for column in ("person_no", "gender", "division_code", "registered_address", "household_no"):
        assert records[column].map(type).eq(str).all(), column
    # Missing values are None (not NaN), as a database driver returns them.
    for column in ("name", "id_card_no", "phone"):
        assert records[column].map(lambda v: v is None or type(v) is str).all(), column


def test_person_no_unique_and_shaped(residents: Residents) -> None:
    person_no = residents.records["person_no"]
    assert person_no.is_unique
    assert person_no.str.fullmatch(r"SZ\d{10}").all()
    assert residents.truth["person_id"].str.fullmatch(r"P\d{9}").all()


def test_ids_valid_without_id_defect(joined: pd.DataFrame) -> None:
    clean = joined[~joined["defect"].isin(ID_DEFECTS)]
    assert clean["id_card_no"].map(lambda v: is_valid_resident_id(v, today=TODAY)).all()
    # Only the harmless variations differ from the canonical form.
    canonical = clean["id_card_no"].map(normalise_resident_id)
    assert ((canonical == clean["id_card_no"]) | clean["variation"].isin(["lowercase_x", "id_space"])).all()


def test_id_defects_break_exactly_what_they_say(joined: pd.DataFrame) -> None:
    bad_check = joined.loc[joined["defect"] == "bad_check_digit", "id_card_no"]
    assert bad_check.map(lambda v: resident_id_problems(v, today=TODAY) == ["bad_check_digit"]).all()
    # The check character was recomputed, so only the date is wrong.
    bad_date = joined.loc[joined["defect"] == "impossible_birth_date", "id_card_no"]
    assert bad_date.map(lambda v: resident_id_problems(v, today=TODAY) == [PROBLEM_BAD_BIRTH_DATE]).all()
    assert joined.loc[joined["defect"] == "missing_id", "id_card_no"].isna().all()
    assert joined.loc[joined["defect"] == "missing_name", "name"].isna().all()


def test_each_defect_kind_at_its_rate() -> None:
    for rate in (0.03, 0.12):
        truth = generate_residents(N, seed=3, defect_rate=rate, today=TODAY).truth
        counts = truth["defect"].value_counts()
        assert set(counts.index) == set(DEFECT_KINDS)
        per_kind = N * rate / len(DEFECT_KINDS)
        assert all(abs(counts[kind] - per_kind) <= 1 for kind in DEFECT_KINDS), counts
        assert truth["defect"].notna().mean() == pytest.approx(rate, abs=1 / N)
    assert generate_residents(N, seed=3, defect_rate=0.0).truth["defect"].isna().all()


def test_variations_are_harmless_and_apart_from_defects(joined: pd.DataFrame) -> None:
    varied = joined[joined["variation"].notna()]
    assert set(varied["variation"]) == set(VARIATION_KINDS)
    assert len(varied) / N == pytest.approx(0.02, abs=0.005)
    assert varied["defect"].isna().all()
    assert joined.loc[joined["variation"] == "lowercase_x", "id_card_no"].str.endswith("x").all()
    assert joined.loc[joined["variation"] == "id_space", "id_card_no"].str.contains(" ").all()
    assert joined.loc[joined["variation"] == "name_space", "name"].str.contains(" ").all()
    plain = joined[joined["variation"].isna() & joined["name"].notna()]
    assert not plain["name"].str.contains(" ").any()


def test_gender_matches_id_unless_mismatch_defect(joined: pd.DataFrame) -> None:
    with_id = joined[joined["id_card_no"].notna()]
    from_id = with_id["id_card_no"].map(gender_from_resident_id).map({"M": "男", "F": "女"})
    matches = from_id == with_id["gender"]
    mismatch = with_id["defect"] == "gender_mismatch"
    assert matches[~mismatch].all()
    assert not matches[mismatch].any()
    assert mismatch.any()


def test_birth_date_is_the_ids_on_clean_rows(joined: pd.DataFrame) -> None:
    clean = joined[~joined["defect"].isin(ID_DEFECTS)]
    assert (clean["id_card_no"].map(birth_date_from_resident_id) == clean["birth_date"]).all()
    ages = joined["birth_date"].map(lambda d: (TODAY - d).days / 365.2425)
    assert ages.between(0, 96).all()
    assert ages.between(20, 60).mean() > 0.5


def test_duplicates_copy_a_clean_row(joined: pd.DataFrame) -> None:
    duplicates = joined[joined["defect"] == "duplicate"]
    originals = joined[joined["defect"].isna()].set_index("person_id")
    assert len(duplicates) > 0
    compared = [c for c in RECORD_COLUMNS if c != "person_no"]
    for _, row in duplicates.iterrows():
        original = originals.loc[row["person_id"]]
        assert original["person_no"] != row["person_no"]
        assert original["variation"] is None
        assert all(original[c] == row[c] or (original[c] is None and row[c] is None) for c in compared)
    # Apart from duplicates, every row is a different real person.
    assert joined.loc[joined["defect"] != "duplicate", "person_id"].is_unique


def test_same_seed_same_frames_other_seed_other_frames(residents: Residents) -> None:
    again = generate_residents(N, seed=7, today=TODAY)
    pd.testing.assert_frame_equal(again.records, residents.records)
    pd.testing.assert_frame_equal(again.truth, residents.truth)
    other = generate_residents(N, seed=8, today=TODAY)
    assert not other.records["person_no"].equals(residents.records["person_no"])
    assert not other.records["id_card_no"].equals(residents.records["id_card_no"])


def test_id_region_codes(joined: pd.DataFrame) -> None:
    region = joined["id_card_no"].dropna().map(normalise_resident_id).str[:6]
    shenzhen = region[region.str.startswith("4403")]
    assert set(shenzhen) <= set(SHENZHEN_DIVISIONS) | RETIRED_CODES
    other_codes = {code for code, _ in vocab.OTHER_PROVINCE_DIVISIONS}
    assert set(region[~region.str.startswith("4403")]) <= other_codes
    assert (~region.str.startswith("4403")).mean() == pytest.approx(0.15, abs=0.03)
    assert region.isin(RETIRED_CODES).mean() == pytest.approx(0.02, abs=0.01)
    # Mostly the household's own district.
    assert (region == joined.loc[region.index, "division_code"]).mean() > 0.5


def test_addresses_match_the_division(residents: Residents) -> None:
    records = residents.records
    assert set(records["division_code"]) <= set(SHENZHEN_DIVISIONS)
    prefixes = "深圳市" + records["division_code"].map(SHENZHEN_DIVISIONS)
    assert all(a.startswith(p) for a, p in zip(records["registered_address"], prefixes, strict=True))
    assert records["registered_address"].str.fullmatch(r"深圳市\w+区\w+街道\w+?\d+号(\d+栋(\d单元)?\d{3,4})?").all()
    # The street belongs to the district.
    streets = {d.code: {s for s, _ in d.streets} for d in vocab.DISTRICTS}
    street = records["registered_address"].str.extract(r"区(\w+?)街道")[0]
    assert all(s in streets[c] for s, c in zip(street, records["division_code"], strict=True))
    # Bigger districts have more residents.
    shares = records["division_code"].value_counts(normalize=True)
    assert shares["440306"] > shares["440305"] > shares["440308"]


def test_households_share_an_address(joined: pd.DataFrame) -> None:
    people = joined[joined["defect"] != "duplicate"]
    households = people.groupby("household_no")
    assert households.size().between(1, 5).all()
    assert (households["registered_address"].nunique() == 1).all()
    assert (households["division_code"].nunique() == 1).all()
    assert people["household_no"].str.fullmatch(r"4403\d{11}").all()


def test_phones(residents: Residents) -> None:
    phones = residents.records["phone"]
    assert phones.dropna().map(is_valid_mobile).all()
    assert phones.dropna().str.fullmatch(r"1\d{10}").all()
    assert 0.03 < phones.isna().mean() < 0.3


def test_names_are_plausible(residents: Residents) -> None:
    names = residents.records["name"].dropna().str.replace(" ", "")
    assert names.str.fullmatch(r"[\u4e00-\u9fff]{2,4}").all()
    surnames = [s for s, _ in vocab.SURNAMES]
    assert len(surnames) >= 100 and {"欧阳", "司马"} <= set(surnames)
    given = set(vocab.MALE_GIVEN_CHARS) | set(vocab.FEMALE_GIVEN_CHARS) | set(vocab.NEUTRAL_GIVEN_CHARS)
    assert len(given) >= 300
    assert not set(vocab.MALE_GIVEN_CHARS) & set(vocab.FEMALE_GIVEN_CHARS)
    # The most frequent surnames lead; namesakes happen but are not the rule.
    top = names.map(lambda n: next(s for s in sorted(surnames, key=len, reverse=True) if n.startswith(s)))
    assert set(top.value_counts().index[:5]) <= {"王", "李", "张", "刘", "陈", "黄", "杨"}
    assert names.value_counts().iloc[0] < 10
    assert names.nunique() / len(names) > 0.9


def test_vocab_codes_are_well_formed() -> None:
    codes = [d.code for d in vocab.DISTRICTS]
    assert codes == [f"4403{i:02d}" for i in range(3, 12)]
    assert {s for d in vocab.DISTRICTS if d.code == "440307" for s, _ in d.streets} >= {"葵涌", "大鹏", "南澳"}
    assert all(re.fullmatch(r"\d{6}", c) and not c.startswith("4403") for c, _ in vocab.OTHER_PROVINCE_DIVISIONS)
    assert all(roads for d in vocab.DISTRICTS for _, roads in d.streets)


@pytest.mark.parametrize("n", [0, 1, 11, 13])
def test_small_sizes(n: int) -> None:
    result = generate_residents(n, defect_rate=0.5)
    assert list(result.records.columns) == list(RECORD_COLUMNS)
    assert len(result.records) == len(result.truth) == n
    assert result.records["person_no"].is_unique


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n must be"):
        generate_residents(-1)
    with pytest.raises(ValueError, match="defect_rate"):
        generate_residents(10, defect_rate=0.9)


# --------------------------------------------------------------------------
# Loading into PostgreSQL: a throwaway cluster of its own, on a Unix socket only.
# --------------------------------------------------------------------------

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = 55999


@pytest.fixture(scope="module")
def postgres_conninfo() -> Iterator[str]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL server binaries not found in {PG_BIN}")
    user: str | None = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres").pw_name
        except KeyError:
            pytest.skip("running as root without a 'postgres' OS user")
    home = Path(tempfile.mkdtemp(prefix="silobreak-residents-pg-"))
    if user:
        shutil.chown(home, user=user)
    data = home / "data"

    def run(*argv: str) -> None:
        subprocess.run(argv, user=user, check=True, capture_output=True, timeout=120, cwd="/")

    try:
        run(str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-p {PG_PORT} -k {home} -c listen_addresses='' -c fsync=off"
        run(str(PG_BIN / "pg_ctl"), "start", "-D", str(data), "-o", options, "-l", str(home / "pg.log"), "-w")
        try:
            yield f"host={home} port={PG_PORT} user=postgres dbname=postgres"
        finally:
            run(str(PG_BIN / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w")
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.integration
def test_residents_to_postgres(residents: Residents, postgres_conninfo: str) -> None:
    assert residents_to_postgres(residents, postgres_conninfo) == N
    with psycopg.connect(postgres_conninfo) as conn:
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public_security' AND table_name = 'residents' ORDER BY ordinal_position"
        ).fetchall()
        assert [c for c, _ in columns] == list(RECORD_COLUMNS)
        types = dict(columns)
        assert (types["birth_date"], types["updated_at"]) == ("date", "timestamp with time zone")
        rows = conn.execute("SELECT * FROM public_security.residents ORDER BY person_no").fetchall()
    loaded = dict(zip(RECORD_COLUMNS, zip(*rows, strict=True), strict=True))
    expected = residents.records
    for column in RECORD_COLUMNS:
        want = expected[column].tolist()
        if column == "updated_at":
            assert [pd.Timestamp(v) for v in loaded[column]] == want
        else:
            assert list(loaded[column]) == want, column

    # Loading again replaces the contents; identifiers are quoted, never formatted in.
    smaller = generate_residents(50, seed=1)
    assert residents_to_postgres(smaller, postgres_conninfo) == 50
    assert residents_to_postgres(smaller, postgres_conninfo, schema='odd "schema"', table="a; b") == 50
    with psycopg.connect(postgres_conninfo) as conn:
        assert conn.execute("SELECT count(*) FROM public_security.residents").fetchone() == (50,)
        assert conn.execute('SELECT count(*) FROM "odd ""schema"""."a; b"').fetchone() == (50,)
