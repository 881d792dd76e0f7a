"""Tests for silobreak.identifiers.

The check-character algorithms are tested against the standards' worked
examples and against independent re-derivations of the weight tables, so a
typo in a constant cannot be "confirmed" by the code that uses it.
"""

from __future__ import annotations

import datetime

import pytest

from silobreak import identifiers as ids
from silobreak.identifiers import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_WEIGHTS,
    RESIDENT_ID_CHECK_CHARS,
    RESIDENT_ID_WEIGHTS,
    birth_date_from_resident_id,
    credit_code_check_char,
    credit_code_problems,
    gender_from_resident_id,
    is_valid_credit_code,
    is_valid_mobile,
    is_valid_resident_id,
    normalise_credit_code,
    normalise_mobile,
    normalise_resident_id,
    organisation_code_check_char,
    resident_id_check_char,
    resident_id_problems,
    upgrade_15_digit_id,
)

TODAY = datetime.date(2025, 6, 1)

# GB 11643-1999 Appendix A examples.
ID_FEMALE_1949 = "11010519491231002X"
ID_MALE_1880 = "440524188001010014"
# Not from the standard; check character computed and verified below.
ID_MALE_1990 = "11010119900307803X"

# GB 32100-2015's own example.
CREDIT_CODE_EXAMPLE = "91350100M000100Y43"


def _replace(value: str, index: int, char: str) -> str:
    assert value[index] != char, "test helper must actually alter the value"
    return value[:index] + char + value[index + 1 :]


def _with_id_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def _with_credit_check(first17: str) -> str:
    return first17 + credit_code_check_char(first17)


# --------------------------------------------------------------------------
# Constants, re-derived independently.
# --------------------------------------------------------------------------


def test_resident_id_weights_are_iso_7064_mod_11_2() -> None:
    # ISO 7064 MOD 11-2: weight of position i (1-based, 18 positions) is 2**(18-i) mod 11.
    assert tuple(pow(2, 18 - i, 11) for i in range(1, 18)) == RESIDENT_ID_WEIGHTS
    assert RESIDENT_ID_CHECK_CHARS == "10X98765432"


def test_resident_id_check_chars_make_iso_7064_sum_one() -> None:
    # With the check char's value (X=10) weighted by 2**0 the full sum is 1 mod 11,
    # which is the MOD 11-2 definition; this pins the check-char table.
    for remainder, check in enumerate(RESIDENT_ID_CHECK_CHARS):
        value = 10 if check == "X" else int(check)
        assert (remainder + value) % 11 == 1


def test_credit_code_constants() -> None:
    assert len(CREDIT_CODE_ALPHABET) == 31
    assert len(set(CREDIT_CODE_ALPHABET)) == 31
    assert not set("IOZSV") & set(CREDIT_CODE_ALPHABET)
    assert tuple(pow(3, i, 31) for i in range(17)) == CREDIT_CODE_WEIGHTS
    assert ids.ORGANISATION_CODE_WEIGHTS == (3, 7, 9, 10, 5, 8, 4, 2)


def test_problem_code_constants() -> None:
    assert ids.PROBLEM_MISSING == "missing"
    assert ids.PROBLEM_BAD_FORMAT == "bad_format"
    assert ids.PROBLEM_BAD_BIRTH_DATE == "bad_birth_date"
    assert ids.PROBLEM_BIRTH_DATE_IN_FUTURE == "birth_date_in_future"
    assert ids.PROBLEM_BAD_CHECK_DIGIT == "bad_check_digit"
    assert ids.PROBLEM_BAD_CHECK_CHAR == "bad_check_char"
    assert ids.PROBLEM_BAD_ORGANISATION_CODE_CHECK == "bad_organisation_code_check"


# --------------------------------------------------------------------------
# Resident ID: check character.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first17", "expected"),
    [
        ("11010519491231002", "X"),
        ("44052418800101001", "4"),
        ("11010119900307803", "X"),
    ],
)
def test_resident_id_check_char_examples(first17: str, expected: str) -> None:
    assert resident_id_check_char(first17) == expected


def test_resident_id_check_char_by_hand() -> None:
    # GB 11643 Appendix B style: 11010519491231002 -> weighted sum 167, 167 mod 11 = 2 -> "X".
    digits = [int(d) for d in "11010519491231002"]
    total = sum(d * w for d, w in zip(digits, RESIDENT_ID_WEIGHTS, strict=True))
    assert total == 167
    assert total % 11 == 2
    assert RESIDENT_ID_CHECK_CHARS[2] == "X"


def test_resident_id_check_char_covers_every_check_char() -> None:
    seen = {resident_id_check_char(f"11010519900101{n:03d}") for n in range(30)}
    assert seen == set(RESIDENT_ID_CHECK_CHARS)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "1101051949123100",
        "110105194912310021",
        "1101051949123100A",
        "１１０１０５１９４９１２３１００２",
    ],
)
def test_resident_id_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        resident_id_check_char(bad)


# --------------------------------------------------------------------------
# Resident ID: normalisation and 15 -> 18 upgrade.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("  11010519491231002x\n", "11010519491231002X"),
        ("110105 19491231 002X", "11010519491231002X"),
        ("\u300011010519491231002X\u3000", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),
        ("１１０１０５１９４９１２３１００２ｘ", "11010519491231002X"),
        ("110105491231002", "110105491231002"),  # 15-digit IDs are not upgraded
        ("not an id", "notanid"),  # cleaned but not validated
    ],
)
def test_normalise_resident_id(raw: str, expected: str) -> None:
    assert normalise_resident_id(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", "\t\n"])
def test_normalise_resident_id_empty(raw: str | None) -> None:
    assert normalise_resident_id(raw) is None


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("110105491231002", "11010519491231002X"),
        ("440524800101001", "440524198001010013"),
        (" １１０１０５４９１２３１００２ ", "11010519491231002X"),
    ],
)
def test_upgrade_15_digit_id(old: str, new: str) -> None:
    assert upgrade_15_digit_id(old) == new
    assert is_valid_resident_id(new, today=TODAY)


@pytest.mark.parametrize(
    "bad",
    ["", "11010549123100", "1101054912310021", "11010519491231002X", "11010549123100X"],
)
def test_upgrade_15_digit_id_rejects_non_15_digit(bad: str) -> None:
    with pytest.raises(ValueError, match="15-digit"):
        upgrade_15_digit_id(bad)


# --------------------------------------------------------------------------
# Resident ID: problems.
# --------------------------------------------------------------------------


@pytest.mark.parametrize("valid", [ID_FEMALE_1949, ID_MALE_1990])
def test_resident_id_examples_are_valid(valid: str) -> None:
    assert resident_id_problems(valid, today=TODAY) == []
    assert is_valid_resident_id(valid, today=TODAY)


def test_gb_11643_example_born_1880_trips_the_1900_floor() -> None:
    # The standard's own example has a correct check digit but a birth date
    # (1880-01-01) before the 1900-01-01 plausibility floor; it only passes
    # when the caller lowers the floor.
    assert resident_id_check_char(ID_MALE_1880[:17]) == ID_MALE_1880[17]
    assert resident_id_problems(ID_MALE_1880, today=TODAY) == ["bad_birth_date"]
    assert not is_valid_resident_id(ID_MALE_1880, today=TODAY)
    early = datetime.date(1800, 1, 1)
    assert resident_id_problems(ID_MALE_1880, today=TODAY, earliest_birth_date=early) == []
    assert is_valid_resident_id(ID_MALE_1880, today=TODAY, earliest_birth_date=early)


def test_resident_id_valid_after_normalisation() -> None:
    assert resident_id_problems("１１０１０５ １９４９１２３１ ００２ｘ", today=TODAY) == []
    assert is_valid_resident_id(" 11010519491231002x ", today=TODAY)


@pytest.mark.parametrize("missing", [None, "", "  ", "\u3000"])
def test_resident_id_missing(missing: str | None) -> None:
    assert resident_id_problems(missing, today=TODAY) == ["missing"]
    assert not is_valid_resident_id(missing, today=TODAY)


@pytest.mark.parametrize(
    "bad",
    [
        "1101051949123100",  # 16 chars
        "110105194912310020X",  # 19 chars
        "110105491231002",  # 15-digit ID must be upgraded explicitly
        "1101051949123100XX",  # X only allowed last
        "X1010519491231002X",
        "11010519491231002Y",
        "11010519491231002-",
        "110105-19491231-002X",  # dashes are not stripped from IDs
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits pass str.isdigit() but not us
    ],
)
def test_resident_id_bad_format_is_reported_alone(bad: str) -> None:
    assert resident_id_problems(bad, today=TODAY) == ["bad_format"]


@pytest.mark.parametrize(
    "birth",
    [
        "19490230",  # 30 February
        "19491301",  # month 13
        "19490000",  # month 0
        "19491200",  # day 0
        "19000229",  # 1900 is not a leap year
        "00000000",
        "18991231",  # before 1900-01-01
    ],
)
def test_resident_id_bad_birth_date(birth: str) -> None:
    value = _with_id_check("110105" + birth + "002")
    assert resident_id_problems(value, today=TODAY) == ["bad_birth_date"]
    assert not is_valid_resident_id(value, today=TODAY)


@pytest.mark.parametrize("birth", ["19000101", "20000229", "20250601"])
def test_resident_id_boundary_birth_dates_are_valid(birth: str) -> None:
    # 1900-01-01 is the first allowed date, 2000 is a leap year, TODAY itself is allowed.
    assert resident_id_problems(_with_id_check("110105" + birth + "002"), today=TODAY) == []


def test_resident_id_birth_date_in_future() -> None:
    value = _with_id_check("11010520250602" + "002")
    assert resident_id_problems(value, today=TODAY) == ["birth_date_in_future"]
    assert resident_id_problems(value, today=datetime.date(2025, 6, 2)) == []


def test_resident_id_today_defaults_to_the_real_today() -> None:
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    value = _with_id_check("110105" + tomorrow.strftime("%Y%m%d") + "002")
    assert resident_id_problems(value) == ["birth_date_in_future"]
    assert resident_id_problems(ID_FEMALE_1949) == []


def test_resident_id_bad_check_digit() -> None:
    value = _replace(ID_FEMALE_1949, 17, "1")
    assert resident_id_problems(value, today=TODAY) == ["bad_check_digit"]
    assert not is_valid_resident_id(value, today=TODAY)


@pytest.mark.parametrize("position", range(17))
def test_resident_id_any_single_digit_change_is_caught(position: int) -> None:
    # MOD 11-2 detects every single-character substitution.
    original = ID_MALE_1990
    altered = _replace(original, position, "5" if original[position] != "5" else "6")
    assert "bad_check_digit" in resident_id_problems(altered, today=TODAY)


def test_resident_id_transposition_is_caught() -> None:
    # Swap two adjacent differing digits ("03" -> "30" in the day field keeps a real date).
    altered = ID_MALE_1990[:12] + "30" + ID_MALE_1990[14:]
    assert resident_id_problems(altered, today=TODAY) == ["bad_check_digit"]


def test_resident_id_bad_birth_date_and_check_digit_are_both_reported() -> None:
    good = _with_id_check("11010519490230002")  # 30 February
    value = _replace(good, 17, "1" if good[17] != "1" else "2")
    assert resident_id_problems(value, today=TODAY) == [
        "bad_birth_date",
        "bad_check_digit",
    ]


def test_resident_id_future_birth_date_and_check_digit_are_both_reported() -> None:
    good = _with_id_check("11010520300101002")
    value = _replace(good, 17, "0" if good[17] != "0" else "1")
    assert resident_id_problems(value, today=TODAY) == [
        "birth_date_in_future",
        "bad_check_digit",
    ]


# --------------------------------------------------------------------------
# Resident ID: gender and birth date.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "gender"),
    [
        (ID_FEMALE_1949, "F"),
        (ID_MALE_1880, "M"),
        (ID_MALE_1990, "M"),
        ("11010519491231002x", "F"),
        ("１１０１０５１９４９１２３１００２Ｘ", "F"),
        (_with_id_check("11010519900101000"), "F"),  # 0 counts as even
        (_with_id_check("11010519900101009"), "M"),
        ("110105194912310021", "F"),  # wrong check digit does not hide the gender
    ],
)
def test_gender_from_resident_id(value: str, gender: str) -> None:
    assert gender_from_resident_id(value) == gender


@pytest.mark.parametrize("bad", ["", "110105491231002", "1101051949123100"])
def test_gender_from_resident_id_rejects_bad_format(bad: str) -> None:
    with pytest.raises(ValueError):
        gender_from_resident_id(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ID_FEMALE_1949, datetime.date(1949, 12, 31)),
        (ID_MALE_1880, datetime.date(1880, 1, 1)),  # as encoded, no plausibility floor
        (ID_MALE_1990, datetime.date(1990, 3, 7)),
        (" １１０１０５１９４９１２３１００２ｘ ", datetime.date(1949, 12, 31)),
        (_with_id_check("11010520000229002"), datetime.date(2000, 2, 29)),
        (_with_id_check("11010519490230002"), None),  # not a real date
        ("110105491231002", None),  # 15-digit
        ("garbage", None),
        ("", None),
    ],
)
def test_birth_date_from_resident_id(value: str, expected: datetime.date | None) -> None:
    assert birth_date_from_resident_id(value) == expected


# --------------------------------------------------------------------------
# Organisation code (GB 11714).
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first8", "expected"),
    [
        ("D2143569", "X"),  # GB 11714 worked example D2143569-X
        ("M000100Y", "4"),  # embedded in the GB 32100 example
    ],
)
def test_organisation_code_check_char_examples(first8: str, expected: str) -> None:
    assert organisation_code_check_char(first8) == expected


def test_organisation_code_check_char_by_hand() -> None:
    # D=13: 13*3 + 2*7 + 1*9 + 4*10 + 3*5 + 5*8 + 6*4 + 9*2 = 199; 199 mod 11 = 1; 11 - 1 = 10 -> X
    assert 13 * 3 + 2 * 7 + 1 * 9 + 4 * 10 + 3 * 5 + 5 * 8 + 6 * 4 + 9 * 2 == 199
    assert organisation_code_check_char("D2143569") == "X"


def test_organisation_code_check_char_eleven_maps_to_zero() -> None:
    # Weighted sum 0 -> 11 - 0 = 11 -> "0".
    assert organisation_code_check_char("00000000") == "0"
    # Sum 11 (1*3 + 1*8) -> 11 - 0 = 11 -> "0"; sum 1 impossible, sum 2 (1*2) -> 9.
    assert organisation_code_check_char("10000100") == "0"
    assert organisation_code_check_char("00000001") == "9"


def test_organisation_code_letters_use_a_equals_10_to_z_equals_35() -> None:
    # Z=35 at weight 3: 105 mod 11 = 6 -> 5. A=10 at weight 3: 30 mod 11 = 8 -> 3.
    assert organisation_code_check_char("Z0000000") == "5"
    assert organisation_code_check_char("A0000000") == "3"


@pytest.mark.parametrize("bad", ["", "D214356", "D21435690", "d2143569", "D214356-", "Ｄ2143569"])
def test_organisation_code_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        organisation_code_check_char(bad)


# --------------------------------------------------------------------------
# Unified social credit code (GB 32100).
# --------------------------------------------------------------------------


def test_credit_code_check_char_example() -> None:
    assert credit_code_check_char(CREDIT_CODE_EXAMPLE[:17]) == "3"


def test_credit_code_check_char_by_hand() -> None:
    values = [CREDIT_CODE_ALPHABET.index(c) for c in CREDIT_CODE_EXAMPLE[:17]]
    total = sum(v * w for v, w in zip(values, CREDIT_CODE_WEIGHTS, strict=True))
    assert total % 31 == 28
    assert CREDIT_CODE_ALPHABET[31 - 28] == "3"


def test_credit_code_check_char_31_maps_to_zero() -> None:
    assert credit_code_check_char("0" * 17) == "0"


def test_credit_code_check_char_can_be_a_letter() -> None:
    results = {credit_code_check_char(f"9135010{c}M000100Y4") for c in CREDIT_CODE_ALPHABET}
    # Varying a position with weight 17 (coprime to 31) hits all 31 check characters.
    assert results == set(CREDIT_CODE_ALPHABET)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "91350100M000100Y",
        "91350100M000100Y43",
        "91350100I000100Y4",
        "91350100m000100Y4",
    ],
)
def test_credit_code_check_char_rejects_bad_input(bad: str) -> None:
    with pytest.raises(ValueError):
        credit_code_check_char(bad)


def test_credit_code_gb_32100_example_is_valid() -> None:
    assert credit_code_problems(CREDIT_CODE_EXAMPLE) == []
    assert is_valid_credit_code(CREDIT_CODE_EXAMPLE)


def test_computed_credit_code_is_valid() -> None:
    # Organisation part D2143569X (GB 11714 example) inside a computed credit code.
    value = _with_credit_check("91110105" + "D2143569X")
    assert credit_code_problems(value) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" 91350100m000100y43 ", CREDIT_CODE_EXAMPLE),
        ("９１３５０１００Ｍ０００１００Ｙ４３", CREDIT_CODE_EXAMPLE),
        ("913501 00M000 100Y43\u3000", CREDIT_CODE_EXAMPLE),
    ],
)
def test_credit_code_normalisation(raw: str, expected: str) -> None:
    assert normalise_credit_code(raw) == expected
    assert credit_code_problems(raw) == []


@pytest.mark.parametrize("missing", [None, "", "   ", "\u3000"])
def test_credit_code_missing(missing: str | None) -> None:
    assert normalise_credit_code(missing) is None
    assert credit_code_problems(missing) == ["missing"]
    assert not is_valid_credit_code(missing)


@pytest.mark.parametrize(
    "bad",
    [
        "91350100M000100Y4",  # 17 chars
        "91350100M000100Y431",  # 19 chars
        "91350100M0001O0Y43",  # O is not in the alphabet
        "91350100I000100Y43",  # I
        "91350100S000100Y43",  # S
        "91350100V000100Y43",  # V
        "91350100Z000100Y43",  # Z
        "913501A0M000100Y43",  # admin division code must be digits
        "91350100M000100Y4-",
    ],
)
def test_credit_code_bad_format_is_reported_alone(bad: str) -> None:
    assert credit_code_problems(bad) == ["bad_format"]


def test_credit_code_bad_check_char() -> None:
    value = _replace(CREDIT_CODE_EXAMPLE, 17, "4")
    assert credit_code_problems(value) == ["bad_check_char"]
    assert not is_valid_credit_code(value)


@pytest.mark.parametrize("position", range(17))
def test_credit_code_any_single_char_change_is_caught(position: int) -> None:
    original = CREDIT_CODE_EXAMPLE
    altered = _replace(original, position, "1" if original[position] != "1" else "2")
    assert "bad_check_char" in credit_code_problems(altered)


def test_credit_code_bad_organisation_code_check() -> None:
    # Organisation check char deliberately wrong (5 instead of 4), outer check recomputed.
    value = _with_credit_check("91350100M000100Y5")
    assert credit_code_problems(value) == ["bad_organisation_code_check"]
    assert not is_valid_credit_code(value)
    assert credit_code_problems(value, check_organisation_code=False) == []
    assert is_valid_credit_code(value, check_organisation_code=False)


def test_credit_code_organisation_check_letter_other_than_x() -> None:
    value = _with_credit_check("91350100M000100YA")
    assert credit_code_problems(value) == ["bad_organisation_code_check"]


def test_credit_code_both_checks_fail() -> None:
    good = _with_credit_check("91350100M000100Y5")
    value = _replace(good, 17, "0" if good[17] != "0" else "1")
    assert credit_code_problems(value) == [
        "bad_check_char",
        "bad_organisation_code_check",
    ]
    assert credit_code_problems(value, check_organisation_code=False) == ["bad_check_char"]


def test_individual_business_code_needs_organisation_check_off() -> None:
    # Registration-management code 92 (individual business); chars 9-17 not an
    # old organisation code. The outer check char is still enforced.
    value = _with_credit_check("92350100MA2XXXXX1")
    assert "bad_organisation_code_check" in credit_code_problems(value)
    assert is_valid_credit_code(value, check_organisation_code=False)
    assert not is_valid_credit_code(_replace(value, 10, "3"), check_organisation_code=False)


# --------------------------------------------------------------------------
# Mobile numbers.
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("86 138 0013 8000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        ("＋８６ １３８－００１３－８０００", "13800138000"),
        ("138\u20130013\u20138000", "13800138000"),  # en dash
        ("\u3000138 0013 8000\u3000", "13800138000"),
        # Prefix stays when not followed by exactly 11 digits.
        ("+86 10 1234 5678", "+861012345678"),
        ("861380013800", "861380013800"),
        ("86138001380001", "86138001380001"),
        # Not a mobile: cleaned, otherwise returned as is.
        ("010-1234-5678", "01012345678"),
        ("call me", "callme"),
        ("12345678901", "12345678901"),
    ],
)
def test_normalise_mobile(raw: str, expected: str) -> None:
    assert normalise_mobile(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "  ", "- -", "\u3000"])
def test_normalise_mobile_empty(raw: str | None) -> None:
    assert normalise_mobile(raw) is None


@pytest.mark.parametrize(
    "valid",
    [
        "13800138000",
        "+86 138-0013-8000",
        "19912345678",
        "14700000000",
        "１３８００１３８０００",
    ],
)
def test_valid_mobiles(valid: str) -> None:
    assert is_valid_mobile(valid)


@pytest.mark.parametrize(
    "invalid",
    [
        None,
        "",
        "12345678901",  # second digit 2
        "11012345678",  # second digit 1
        "10012345678",  # second digit 0
        "23800138000",  # first digit not 1
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "1380013800a",
        "01012345678",
        "+86 10 1234 5678",
    ],
)
def test_invalid_mobiles(invalid: str | None) -> None:
    assert not is_valid_mobile(invalid)
