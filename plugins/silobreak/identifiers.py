"""Check and normalise the Chinese identifiers that departments exchange.

Departments key the same person or organisation in different ways (full-width
digits typed through a Chinese IME, a lower-case ``x``, stray spaces, a ``+86``
on phone numbers). Records only join across departments once these are brought
to one canonical form, and only trustworthy once the check characters defined
by the national standards have been verified.

Standards implemented:

* Citizen identification number: GB 11643-1999, check digit ISO 7064 MOD 11-2.
* Unified social credit code: GB 32100-2015, check character MOD 31.
* Organisation code embedded in the credit code: GB 11714-1997, MOD 11.

Only the standard library is used so the module can run inside any Airflow
task, dbt Python hook or CLI command without extra dependencies.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_WEIGHTS",
    "EARLIEST_BIRTH_DATE",
    "ORGANISATION_CODE_WEIGHTS",
    "PROBLEM_BAD_BIRTH_DATE",
    "PROBLEM_BAD_CHECK_CHAR",
    "PROBLEM_BAD_CHECK_DIGIT",
    "PROBLEM_BAD_FORMAT",
    "PROBLEM_BAD_ORGANISATION_CODE_CHECK",
    "PROBLEM_BIRTH_DATE_IN_FUTURE",
    "PROBLEM_MISSING",
    "RESIDENT_ID_CHECK_CHARS",
    "RESIDENT_ID_WEIGHTS",
    "birth_date_from_resident_id",
    "credit_code_check_char",
    "credit_code_problems",
    "gender_from_resident_id",
    "is_valid_credit_code",
    "is_valid_mobile",
    "is_valid_resident_id",
    "normalise_credit_code",
    "normalise_mobile",
    "normalise_resident_id",
    "organisation_code_check_char",
    "resident_id_check_char",
    "resident_id_problems",
    "upgrade_15_digit_id",
]

# --------------------------------------------------------------------------
# Problem codes (stable strings: they end up in data-quality reports).
# --------------------------------------------------------------------------

PROBLEM_MISSING = "missing"
PROBLEM_BAD_FORMAT = "bad_format"
PROBLEM_BAD_BIRTH_DATE = "bad_birth_date"
PROBLEM_BIRTH_DATE_IN_FUTURE = "birth_date_in_future"
PROBLEM_BAD_CHECK_DIGIT = "bad_check_digit"
PROBLEM_BAD_CHECK_CHAR = "bad_check_char"
PROBLEM_BAD_ORGANISATION_CODE_CHECK = "bad_organisation_code_check"

# --------------------------------------------------------------------------
# Resident (citizen) identification number, GB 11643-1999.
# --------------------------------------------------------------------------

#: Weight of position i (1-based) is 2**(18 - i) mod 11 (ISO 7064 MOD 11-2).
RESIDENT_ID_WEIGHTS: tuple[int, ...] = (
    7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2,
)  # fmt: skip

#: Index with (weighted sum mod 11) to get the 18th character.
RESIDENT_ID_CHECK_CHARS: str = "10X98765432"

#: Birth dates before this are treated as data-entry errors, not real people.
EARLIEST_BIRTH_DATE: datetime.date = datetime.date(1900, 1, 1)

# ASCII-only patterns: str.isdigit() would also accept e.g. Arabic-Indic digits.
_ID18_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID15_RE = re.compile(r"[0-9]{15}")
_DIGITS17_RE = re.compile(r"[0-9]{17}")


def _compact(value: str) -> str:
    """NFKC-fold and drop all whitespace, since IME and spreadsheet input adds both."""
    folded = unicodedata.normalize("NFKC", value)
    # str.split() with no argument splits on every Unicode whitespace,
    # including the ideographic space U+3000 (NFKC already maps it to " ").
    return "".join(folded.split())


def resident_id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits.

    Strict about its input (17 ASCII digits) so a caller's bug cannot silently
    produce a plausible-looking check character.
    """
    if not _DIGITS17_RE.fullmatch(first17):
        raise ValueError(f"expected exactly 17 ASCII digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def normalise_resident_id(value: str | None) -> str | None:
    """Bring a typed resident ID to canonical form so equal IDs compare equal.

    Folds full-width characters, removes all whitespace and upper-cases the
    ``x`` check character. Returns None for None or blank input. The result
    is not validated, and 15-digit IDs are left alone (see
    :func:`upgrade_15_digit_id`) so that the caller decides whether to upgrade.
    """
    if value is None:
        return None
    compact = _compact(value).replace("x", "X")
    return compact or None


def upgrade_15_digit_id(value: str) -> str:
    """Convert a first-generation 15-digit ID to the 18-digit form.

    Old IDs carry a 2-digit year (always 19xx) and no check digit; the two
    forms must be unified before records can be matched.
    """
    compact = _compact(value)
    if not _ID15_RE.fullmatch(compact):
        raise ValueError(f"expected a 15-digit resident ID, got {value!r}")
    first17 = compact[:6] + "19" + compact[6:]
    return first17 + resident_id_check_char(first17)


def _parse_birth_date(canonical: str) -> datetime.date | None:
    """Parse digits 7-14 (yyyymmdd) of an 18-character ID, None if not a real date."""
    try:
        return datetime.date(int(canonical[6:10]), int(canonical[10:12]), int(canonical[12:14]))
    except ValueError:
        return None


def _canonical_resident_id(value: str) -> str:
    """Normalise and require the 18-character shape, for the extractor functions."""
    canonical = normalise_resident_id(value)
    if canonical is None or not _ID18_RE.fullmatch(canonical):
        raise ValueError(f"not an 18-character resident ID: {value!r}")
    return canonical


def resident_id_problems(
    value: str | None,
    *,
    today: datetime.date | None = None,
    earliest_birth_date: datetime.date = EARLIEST_BIRTH_DATE,
) -> list[str]:
    """List every reason a resident ID is invalid (empty list when valid).

    Returns reason codes rather than a bool so data-quality reports can say
    why a record was rejected. The value is normalised first. A bad format
    makes the other checks meaningless, so it is reported alone; birth date
    and check digit are independent and are both reported when both fail.
    ``today`` is injectable to keep tests deterministic; ``earliest_birth_date``
    exists because GB 11643's own example (born 1880) predates the default.
    """
    canonical = normalise_resident_id(value)
    if canonical is None:
        return [PROBLEM_MISSING]
    if not _ID18_RE.fullmatch(canonical):
        return [PROBLEM_BAD_FORMAT]

    problems: list[str] = []
    birth_date = _parse_birth_date(canonical)
    if birth_date is None or birth_date < earliest_birth_date:
        problems.append(PROBLEM_BAD_BIRTH_DATE)
    elif birth_date > (today if today is not None else datetime.date.today()):
        problems.append(PROBLEM_BIRTH_DATE_IN_FUTURE)
    if resident_id_check_char(canonical[:17]) != canonical[17]:
        problems.append(PROBLEM_BAD_CHECK_DIGIT)
    return problems


def is_valid_resident_id(
    value: str | None,
    *,
    today: datetime.date | None = None,
    earliest_birth_date: datetime.date = EARLIEST_BIRTH_DATE,
) -> bool:
    """Return True when :func:`resident_id_problems` finds nothing, for filters."""
    return not resident_id_problems(value, today=today, earliest_birth_date=earliest_birth_date)


def gender_from_resident_id(value: str) -> str:
    """Return "M" or "F" from the 17th digit (odd is male, per GB 11643).

    Needs only the 18-character shape, not a correct check digit, because the
    gender digit is meaningful even when the check digit was mistyped.
    Raises ValueError otherwise.
    """
    canonical = _canonical_resident_id(value)
    return "M" if int(canonical[16]) % 2 == 1 else "F"


def birth_date_from_resident_id(value: str) -> datetime.date | None:
    """Return the encoded birth date, or None if the ID has no readable one.

    Returns the date as encoded, without the plausibility limits of
    :func:`resident_id_problems`, so callers can inspect suspicious records.
    """
    canonical = normalise_resident_id(value)
    if canonical is None or not _ID18_RE.fullmatch(canonical):
        return None
    return _parse_birth_date(canonical)


# --------------------------------------------------------------------------
# Unified social credit code, GB 32100-2015 (+ organisation code, GB 11714).
# --------------------------------------------------------------------------

#: 31 characters; I, O, Z, S and V are excluded to avoid confusion with digits.
CREDIT_CODE_ALPHABET: str = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Weight of position i (1-based) is 3**(i - 1) mod 31.
CREDIT_CODE_WEIGHTS: tuple[int, ...] = (
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
)  # fmt: skip

#: GB 11714 weights for the 8 body characters of an organisation code.
ORGANISATION_CODE_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)

_CREDIT_CODE_VALUES: dict[str, int] = {char: i for i, char in enumerate(CREDIT_CODE_ALPHABET)}
_CREDIT_CODE_RE = re.compile(
    # registration authority, organisation type, 6-digit admin division code,
    # 9-char organisation code, check char
    rf"[{CREDIT_CODE_ALPHABET}]{{2}}[0-9]{{6}}[{CREDIT_CODE_ALPHABET}]{{10}}"
)
_ORG_BODY_RE = re.compile(r"[0-9A-Z]{8}")


def normalise_credit_code(value: str | None) -> str | None:
    """Bring a typed credit code to canonical form (NFKC, no spaces, upper case).

    Returns None for None or blank input; the result is not validated.
    """
    if value is None:
        return None
    return _compact(value).upper() or None


def credit_code_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters.

    Raises ValueError unless given 17 characters of :data:`CREDIT_CODE_ALPHABET`.
    """
    if len(first17) != 17 or any(char not in _CREDIT_CODE_VALUES for char in first17):
        raise ValueError(f"expected 17 credit-code characters, got {first17!r}")
    total = sum(_CREDIT_CODE_VALUES[char] * w for char, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character for an organisation code's 8-char body.

    Body characters are digits or upper-case letters (A=10 .. Z=35); the
    check is a digit or "X". Raises ValueError on any other input.
    """
    if not _ORG_BODY_RE.fullmatch(first8):
        raise ValueError(f"expected 8 digits or upper-case letters, got {first8!r}")
    total = sum(int(char, 36) * w for char, w in zip(first8, ORGANISATION_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def credit_code_problems(value: str | None, *, check_organisation_code: bool = True) -> list[str]:
    """List every reason a credit code is invalid (empty list when valid).

    Characters 9-17 should be a GB 11714 organisation code with its own check,
    but some legitimately issued codes (e.g. individual businesses,
    registration-management code 92) carry no valid one; pass
    ``check_organisation_code=False`` for such data. A bad format is reported
    alone; the two check failures are independent and both reported.
    """
    canonical = normalise_credit_code(value)
    if canonical is None:
        return [PROBLEM_MISSING]
    if not _CREDIT_CODE_RE.fullmatch(canonical):
        return [PROBLEM_BAD_FORMAT]

    problems: list[str] = []
    if credit_code_check_char(canonical[:17]) != canonical[17]:
        problems.append(PROBLEM_BAD_CHECK_CHAR)
    if check_organisation_code and organisation_code_check_char(canonical[8:16]) != canonical[16]:
        problems.append(PROBLEM_BAD_ORGANISATION_CODE_CHECK)
    return problems


def is_valid_credit_code(value: str | None, *, check_organisation_code: bool = True) -> bool:
    """Return True when :func:`credit_code_problems` finds nothing, for filters."""
    return not credit_code_problems(value, check_organisation_code=check_organisation_code)


# --------------------------------------------------------------------------
# Mainland mobile numbers.
# --------------------------------------------------------------------------

# ASCII hyphen plus the Unicode dashes that survive NFKC (U+2010-U+2015, minus).
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_TABLE = str.maketrans("", "", _DASHES)
_PREFIXED_MOBILE_RE = re.compile(r"(?:\+86|0086|86)([0-9]{11})")
_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def normalise_mobile(value: str | None) -> str | None:
    """Reduce a typed mobile number to its 11 digits so departments can match on it.

    Folds full-width characters and removes spaces and dashes; removes a
    ``+86``/``0086``/``86`` country prefix only when exactly 11 digits
    follow, so other numbers are not mangled. Input that is not a mobile
    comes back cleaned but otherwise unchanged; None for None or blank.
    """
    if value is None:
        return None
    cleaned = _compact(value).translate(_DASH_TABLE)
    if not cleaned:
        return None
    prefixed = _PREFIXED_MOBILE_RE.fullmatch(cleaned)
    return prefixed.group(1) if prefixed else cleaned


def is_valid_mobile(value: str | None) -> bool:
    """Return True for a mainland mobile number (11 digits, 1 then 3-9), after normalising."""
    normalised = normalise_mobile(value)
    return normalised is not None and _MOBILE_RE.fullmatch(normalised) is not None


# --- Administrative division codes (GB/T 2260) of Shenzhen ---------------------------------------

SHENZHEN_DIVISIONS: dict[str, str] = {
    "440303": "罗湖区",
    "440304": "福田区",
    "440305": "南山区",
    "440306": "宝安区",
    "440307": "龙岗区",
    "440308": "盐田区",
    "440309": "龙华区",
    "440310": "坪山区",
    "440311": "光明区",
}
"""Shenzhen's districts today (大鹏新区 is a functional area under 龙岗, without its own code)."""

RETIRED_SHENZHEN_DIVISIONS: dict[str, str] = {
    "440301": "市辖区 (before the districts)",
    "440321": "宝安县 (until 1993)",
}
"""Codes no longer in use that older resident IDs still carry: a check must warn, not reject."""


def division_code_status(value: str | None) -> str:
    """'current', 'retired' or 'unknown' for a Shenzhen division code."""
    code = _compact(value or "")
    if code in SHENZHEN_DIVISIONS:
        return "current"
    if code in RETIRED_SHENZHEN_DIVISIONS:
        return "retired"
    return "unknown"
