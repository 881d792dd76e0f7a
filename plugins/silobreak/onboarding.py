"""Onboard a department feed from a sample: infer the contract, a starting suite and a staging model.

``silobreak feed new`` reads a sample (a local file, an object in the inbox bucket, or a table of the
department's database), infers the encoding, delimiter, column types, likely identifiers and their
sensitivity, and writes the three files a feed needs. The data engineer then reviews them: the
inference is a start, never a substitute for reading the department's documentation.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from silobreak.contracts import CONTRACTS_DIR, IDENTIFIER, FeedContract, load_contracts, parse_contract
from silobreak.errors import SilobreakError
from silobreak.identifiers import is_valid_credit_code, is_valid_mobile, is_valid_resident_id
from silobreak.pipeline.landing import Manifest
from silobreak.pipeline.reading import read_frame
from silobreak.pipeline.validation import SUITES_DIR
from silobreak.settings import REPO_ROOT

DBT_MODELS = REPO_ROOT / "dbt_project" / "models"
PERSON_UNION = DBT_MODELS / "intermediate" / "int_persons__unioned.sql"
SAMPLE_ROWS = 5000
GB18030_BOM = b"\x84\x31\x95\x33"

_DATE_PATTERNS = (
    r"^\d{4}-\d{1,2}-\d{1,2}$",
    r"^\d{4}/\d{1,2}/\d{1,2}$",
    r"^\d{4}年\d{1,2}月\d{1,2}日$",
    r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$",
)
_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)?$"


@dataclass
class ColumnGuess:
    name: str
    type: str
    sensitivity: str
    description: str
    maps_to: str | None = None
    check: str | None = None  # custom expectation for identifiers
    required: bool = False
    unique: bool = False


@dataclass
class SampleGuess:
    format: str
    encoding: str
    delimiter: str
    columns: list[ColumnGuess] = field(default_factory=list)
    key: str = ""


def detect_encoding(data: bytes) -> str:
    """utf-8-sig / gb18030 by their BOM, else the first of utf-8, gbk, gb18030 that decodes."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(GB18030_BOM):
        return "gb18030"
    for encoding in ("utf-8", "gbk", "gb18030"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    raise SilobreakError("the sample is in none of UTF-8, GBK or GB18030", hint="ask the department for its encoding")


def _detect_delimiter(text: str) -> str:
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _share(values: pd.Series, test: Any) -> float:
    present = values.dropna()
    return float(present.map(test).mean()) if len(present) else 0.0


def _guess_column(name: str, values: pd.Series) -> ColumnGuess:
    present = values.dropna().astype(str)
    lowered = name.lower()
    guess = ColumnGuess(name=name, type="text", sensitivity="L2", description=f"{name} as sent by the department")
    guess.required = len(present) == len(values) and len(values) > 0
    guess.unique = guess.required and present.is_unique
    if len(present) == 0:
        return guess
    if _share(present, is_valid_resident_id) >= 0.8:
        guess.sensitivity, guess.check = "L4", "expect_column_values_to_be_valid_resident_id"
        guess.description = "Resident ID (GB 11643)"
        guess.maps_to = "person.resident_id"
    elif _share(present, is_valid_credit_code) >= 0.8:
        guess.sensitivity, guess.maps_to = "L1", "legal_entity.credit_code"
        guess.description = "Unified social credit code (GB 32100)"
    elif _share(present, is_valid_mobile) >= 0.8:
        guess.sensitivity, guess.maps_to, guess.description = "L3", "person.mobile", "Mobile number"
    elif "name" in lowered or lowered == "xm":
        guess.sensitivity, guess.description = "L3", "Name"
        if any(k in lowered for k in ("party", "person", "patient", "applicant")):
            guess.maps_to = "person.name"  # a bare "name" is paired with a resident ID column, or left alone
    elif any(p in lowered for p in ("address", "addr", "dz")):
        guess.sensitivity, guess.description = "L3", "Address"
    if guess.maps_to or guess.check:
        return guess  # identifiers stay text, whatever their digits look like
    code_like = re.search(r"(code|_no|_id|number|num)$", lowered) or (
        present.str.len().nunique() == 1 and present.str.len().iloc[0] >= 5
    )
    if present.str.fullmatch(r"-?\d+").all() and not present.str.match(r"^0\d").any() and not code_like:
        guess.type = "integer"
    elif present.str.fullmatch(r"-?\d+\.\d+").all():
        guess.type = "numeric"
    elif present.str.fullmatch(_TIMESTAMP).all():
        guess.type = "timestamptz"
    elif any(present.str.fullmatch(p).all() for p in _DATE_PATTERNS):
        guess.type = "date"
        if "birth" in lowered:
            guess.sensitivity, guess.maps_to = "L3", "person.birth_date"
    return guess


def _pair_with_resident_id(columns: list[ColumnGuess]) -> None:
    """A name beside a resident ID is that person's name: tenant_name goes with tenant_id_card_no."""
    ids = [c for c in columns if c.maps_to == "person.resident_id"]
    if len(ids) != 1:
        return
    prefix = ids[0].name.split("id")[0]  # "tenant_" of tenant_id_card_no, "" of id_card_no
    for column in columns:
        if column.maps_to is None and column.name in (f"{prefix}name", f"{prefix}xm"):
            column.maps_to, column.sensitivity = "person.name", "L3"


def _key(columns: list[ColumnGuess]) -> str:
    unique = [c for c in columns if c.unique and c.check is None and c.maps_to != "person.mobile"]
    preferred = [c for c in unique if re.search(r"(_no|_id|_code|_number)$", c.name)]
    chosen = (preferred or unique or [c for c in columns if c.required] or columns)[0]
    return chosen.name


def infer(sample: bytes, file_name: str, *, rows: int = SAMPLE_ROWS) -> SampleGuess:
    """Infer format, encoding, delimiter, column types, sensitivity and the key from a sample file."""
    suffix = Path(file_name).suffix.lower()
    fmt = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}.get(
        suffix
    )
    if fmt is None:
        raise SilobreakError(f"{file_name}: cannot tell the format from the name", hint="use .csv, .jsonl or .xlsx")
    encoding, delimiter = "utf-8", ","
    if fmt == "csv":
        encoding = detect_encoding(sample)
        delimiter = _detect_delimiter(sample.decode(encoding, errors="replace"))
    manifest = Manifest(
        feed="sample", department="sample", batch_id="sample", sha256="", size=len(sample), row_count=None,
        format=fmt, encoding=encoding, delimiter=delimiter, source={}, schema=[], extracted_at="", data_key="",
    )  # fmt: skip
    frame = read_frame(manifest, sample).head(rows)
    bad = [c for c in frame.columns if not re.match(IDENTIFIER, str(c))]
    if bad:
        raise SilobreakError(
            f"{file_name}: column names must be lower-case ASCII identifiers; "
            f"these are not: {', '.join(map(str, bad))}",
            hint="ask the department for a header with ASCII names (e.g. id_card_no), or rename them in the sample",
        )
    guess = SampleGuess(fmt, encoding, delimiter, [_guess_column(str(c), frame[c]) for c in frame.columns])
    _pair_with_resident_id(guess.columns)
    guess.key = _key(guess.columns)
    return guess


def infer_from_table(conninfo: str, table: str, *, rows: int = SAMPLE_ROWS) -> SampleGuess:
    """Infer a contract's columns from a department's Postgres table (schema.table)."""
    import psycopg
    from psycopg import sql

    schema, name = table.split(".", 1)
    with psycopg.connect(conninfo) as conn:
        conn.read_only = True
        query = sql.SQL("select * from {}.{} limit {}").format(
            sql.Identifier(schema), sql.Identifier(name), sql.Literal(rows)
        )
        cur = conn.execute(query)
        columns = [d.name for d in cur.description or []]
        frame = pd.DataFrame(cur.fetchall(), columns=columns).astype(object)
        key_row = conn.execute(
            "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid "
            "and a.attnum = any(i.indkey) where i.indrelid = %s::regclass and i.indisprimary",
            (f'"{schema}"."{name}"',),
        ).fetchone()
    frame = frame.map(lambda v: None if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)))
    guess = SampleGuess("postgres", "utf-8", ",", [_guess_column(c, frame[c]) for c in columns])
    _pair_with_resident_id(guess.columns)
    guess.key = key_row[0] if key_row else _key(guess.columns)
    return guess


def _contract_yaml(
    department: str, entity: str, guess: SampleGuess, source: dict[str, Any], owner: str, email: str
) -> str:
    data = {
        "department": department,
        "entity": entity,
        "description": f"{entity.replace('_', ' ').capitalize()} from {department.replace('_', ' ')} (review this).",
        "owner": {"name": owner, "email": email},
        "schedule": "@daily",
        "sharing": "conditional",
        "source": {**source, "key": guess.key},
        "suite": f"{department}__{entity}",
        "quality": {"max_invalid_share": 0.1},
        "columns": [
            {
                k: v
                for k, v in {
                    "name": c.name,
                    "type": c.type,
                    "sensitivity": c.sensitivity,
                    "maps_to": c.maps_to,
                    "description": c.description,
                }.items()
                if v is not None
            }
            for c in guess.columns
        ],
    }
    header = (
        f"# Feed contract scaffolded by `silobreak feed new`: review every inferred field, above all the\n"
        f"# sensitivity of each column and the key ({guess.key}). Reference: docs/contracts.md\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


DESCRIPTIONS = {
    "expect_column_values_to_be_valid_resident_id": (
        "{column} holds resident IDs (GB 11643): 18 characters, a real birth date that is not in the future, "
        "and the right check character"
    ),
    "expect_column_pair_values_gender_to_match_resident_id": (
        "{column_B} agrees with the gender digit (the 17th) of the resident ID in {column_A}: odd is male, even female"
    ),
    "expect_column_values_to_be_valid_credit_code": (
        "{column} holds unified social credit codes (GB 32100): 18 characters with the right check character"
    ),
    "expect_column_values_to_be_valid_mobile": (
        "{column} holds mainland mobile numbers: 11 digits starting 13 to 19, once +86, spaces and dashes are removed"
    ),
    "expect_column_values_to_be_known_shenzhen_division_code": (
        "{column} holds Shenzhen division codes, current or retired (an unknown code is rejected)"
    ),
    "expect_column_values_to_be_current_shenzhen_division_code": (
        "{column} holds current Shenzhen division codes (a retired code, such as 440301, only warns)"
    ),
    "expect_column_values_to_be_valid_date": (
        "{column} holds real calendar dates as departments write them (2024-01-05, 2024/01/05, 2024年1月5日, "
        "20240105, full-width digits too): no month 13, no day 32, no 30 February"
    ),
}
"""How Data Docs explain silobreak's own expectations (GX renders a suite entry's ``description``)."""


def describe(expectation: dict[str, Any]) -> dict[str, Any]:
    """The expectation with a readable description, if it is one of silobreak's and has none yet."""
    template = DESCRIPTIONS.get(expectation["type"])
    if template and not expectation.get("description"):
        return {**expectation, "description": template.format_map(expectation["kwargs"])}
    return expectation


def suite_for(contract: FeedContract, checks: dict[str, str] | None = None) -> dict[str, Any]:
    """A starting suite: the contract's columns, the key present and unique, identifier and date checks."""
    checks = checks or {}
    ordered = contract.source.kind == "postgres" or (
        contract.source.kind == "file_drop" and getattr(contract.source, "format", "") == "csv"
    )
    expectations: list[dict[str, Any]] = [
        {
            "type": "expect_table_columns_to_match_ordered_list" if ordered else "expect_table_columns_to_match_set",
            "kwargs": {"column_list": contract.column_names}
            if ordered
            else {"column_set": contract.column_names, "exact_match": True},
            "meta": {"check": "schema_matches_contract"},
        }
    ]
    for key in contract.source.keys:
        expectations.append(
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": key}, "meta": {"check": "key_present"}}
        )
    if len(contract.source.keys) == 1:
        expectations.append(
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": contract.source.keys[0]},
                "meta": {"check": "key_unique"},
            }
        )
    for column in contract.columns:
        if (
            column.maps_to == "person.resident_id"
            or checks.get(column.name) == "expect_column_values_to_be_valid_resident_id"
        ):
            expectations.append(
                {
                    "type": "expect_column_values_to_be_valid_resident_id",
                    "kwargs": {"column": column.name},
                    "meta": {"check": "resident_id_valid"},
                }
            )
    for column in contract.columns:
        if column.type == "date":
            expectations.append(
                {
                    "type": "expect_column_values_to_be_valid_date",
                    "kwargs": {"column": column.name},
                    "meta": {"check": "date_valid"},
                }
            )
    for column in contract.columns:
        if column.maps_to == "legal_entity.credit_code":
            expectations.append(
                {
                    "type": "expect_column_values_to_be_valid_credit_code",
                    "kwargs": {"column": column.name},
                    "meta": {"check": "credit_code_valid"},
                }
            )
    return {
        "name": contract.suite,
        "meta": {"feed": contract.feed, "notes": "Scaffolded by silobreak feed new; extend it."},
        "expectations": [describe(e) for e in expectations],
    }


def _cast(column: str, type_: str, maps_to: str | None) -> str:
    if maps_to == "person.resident_id":
        return f"{{{{ normalise_resident_id('{column}') }}}} as {column}"
    if maps_to == "person.mobile":
        return f"{{{{ normalise_mobile('{column}') }}}} as {column}"
    if type_ == "date":
        return f"{{{{ parse_date('{column}') }}}} as {column}"
    casts = {
        "text": f"nullif(trim({column}), '')",
        "integer": f"util.try_numeric({column})::bigint",
        "numeric": f"util.try_numeric({column})",
        "timestamptz": f"util.try_timestamptz({column})",
        "boolean": f"lower(trim({column})) in ('true', 't', '1', 'yes', 'y', '是')",
    }
    return f"{casts[type_]} as {column}"


def staging_files(contract: FeedContract) -> dict[Path, str]:
    """The staging model and its yml entries for a feed (sources and models files per department)."""
    dept, entity = contract.department, contract.entity
    folder = DBT_MODELS / "staging" / dept
    keys = contract.source.keys
    selects = ",\n        ".join(_cast(c.name, c.type, c.maps_to) for c in contract.columns)
    model = (
        f"with\n\nsource as (\n\n    {{{{ current_records('{dept}', '{entity}', '{contract.feed}', {keys!r}, "
        f"snapshot={str(contract.snapshot).lower()}) }}}}\n\n),\n\nrenamed as (\n\n    select\n        {selects},\n"
        f"        _batch_id as batch_id,\n        _row_number as batch_row_number,\n        _loaded_at as loaded_at\n\n"
        f"    from source\n\n)\n\nselect * from renamed\n"
    )
    return {folder / f"stg_{dept}__{entity}.sql": model}


def _merge_yml(path: Path, section: str, entry: dict[str, Any], top: dict[str, Any] | None = None) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {"version": 2, section: []}
    items = [i for i in data.get(section, []) if i.get("name") != entry["name"]]
    data[section] = [*items, entry]
    if top:
        for key, value in top.items():
            data.setdefault(key, value)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


def staging_yml(contract: FeedContract) -> dict[Path, str]:
    dept = contract.department
    folder = DBT_MODELS / "staging" / dept
    sources_path = folder / f"_{dept}__sources.yml"
    existing = yaml.safe_load(sources_path.read_text(encoding="utf-8")) if sources_path.exists() else None
    source_entry = (existing or {}).get("sources", [{}])[0] or {}
    tables = [t for t in source_entry.get("tables", []) if t.get("name") != contract.entity]
    tables.append({"name": contract.entity, "description": contract.description.strip()})
    source_entry.update(
        name=dept,
        description=source_entry.get("description", f"{dept.replace('_', ' ').title()}: rows that passed validation."),
        schema=contract.raw_schema,
        tables=tables,
    )
    sources = yaml.safe_dump({"version": 2, "sources": [source_entry]}, allow_unicode=True, sort_keys=False, width=110)
    columns: list[dict[str, Any]] = []
    for c in contract.columns:
        col: dict[str, Any] = {"name": c.name, "description": c.description, "meta": {"sensitivity": c.sensitivity}}
        if c.maps_to:
            col["meta"]["maps_to"] = c.maps_to
        if c.name in contract.source.keys and len(contract.source.keys) == 1:
            col["data_tests"] = ["unique", "not_null"]
        columns.append(col)
    model = {"name": f"stg_{dept}__{contract.entity}", "description": contract.description.strip(), "columns": columns}
    models = _merge_yml(folder / f"_{dept}__models.yml", "models", model)
    return {sources_path: sources, folder / f"_{dept}__models.yml": models}


def _staging_mappings(contract: FeedContract) -> list[tuple[str, str, str | None]]:
    """Which staging column supplies which attribute: (column, maps_to, role) from ``meta`` in the
    staging model's yml where the model renamed columns; else the contract's own mapping."""
    models = DBT_MODELS / "staging" / contract.department / f"_{contract.department}__models.yml"
    name = f"stg_{contract.department}__{contract.entity}"
    if models.exists():
        for model in (yaml.safe_load(models.read_text(encoding="utf-8")) or {}).get("models", []):
            if model.get("name") == name:
                found = [
                    (col["name"], col["meta"]["maps_to"], col["meta"].get("role"))
                    for col in model.get("columns", [])
                    if (col.get("meta") or {}).get("maps_to")
                ]
                if found:
                    return found
    return [(col.name, col.maps_to, None) for col in contract.columns if col.maps_to]


_ID_SUFFIXES = ("_id_card_no", "_resident_id", "_id_number", "_id_no", "_sfzh")


def _role_of(id_column: str) -> str:
    """husband_id_card_no -> husband: the prefix that the person's other columns share."""
    for suffix in _ID_SUFFIXES:
        if id_column.endswith(suffix):
            return id_column[: -len(suffix)]
    return id_column


def person_roles(contract: FeedContract) -> dict[str, dict[str, str]]:
    """The persons a record names, by role, each with its attribute -> staging column. A record
    with one resident ID names one person (role ""); with several (a marriage: husband and wife),
    each ID's prefix is the role, and the other person.* columns go to the role they start with
    (``meta: role`` in the staging yml says it outright)."""
    person = [
        (c, attr.removeprefix("person."), role)
        for c, attr, role in _staging_mappings(contract)
        if attr.startswith("person.")
    ]
    ids = [c for c, attr, _ in person if attr == "resident_id"]
    if not ids:
        return {}
    if len(ids) == 1:
        roles: dict[str, dict[str, str]] = {"": {}}
        for c, attr, _ in person:
            roles[""].setdefault(attr, c)
        return roles
    roles = {}
    for c, attr, role in person:
        if attr == "resident_id":
            roles.setdefault(role or _role_of(c), {})["resident_id"] = c
    for c, attr, role in person:
        owner = role or next((r for r in sorted(roles, key=len, reverse=True) if c.startswith(f"{r}_")), None)
        if attr != "resident_id" and owner in roles:
            roles[owner].setdefault(attr, c)
    return roles


def person_union_sql(contracts: Iterable[FeedContract]) -> str:
    """Every person named with a resident ID column, one row per (record, role), in one shape
    (generated file): a marriage gives two rows, husband and wife."""
    parts = []
    for c in contracts:
        updated_at = next((col for col, attr, _ in _staging_mappings(c) if attr == "record.updated_at"), "loaded_at")
        for role, by_attr in person_roles(c).items():
            key = " || '|' || ".join(f"{k}::text" for k in c.source.keys)
            fields = {
                "resident_id": by_attr.get("resident_id"),
                "person_name": by_attr.get("name"),
                "gender": by_attr.get("gender"),
                "birth_date": by_attr.get("birth_date"),
                "mobile": by_attr.get("mobile"),
                "address": by_attr.get("address"),
                "source_updated_at": updated_at if updated_at == "loaded_at" else f"coalesce({updated_at}, loaded_at)",
            }
            casts = {"birth_date": "date", "source_updated_at": "timestamptz"}
            cols = ",\n        ".join(
                f"{src if src else 'null'}::{casts.get(attr, 'text')} as {attr}" for attr, src in fields.items()
            )
            ref = f"{{{{ ref('stg_{c.department}__{c.entity}') }}}}"
            parts.append(
                "    select\n"
                f"        '{c.department}'::text as source_department,\n"
                f"        '{c.feed}'::text as source_feed,\n"
                f"        ({key})::text as source_record,\n"
                f"        '{role}'::text as source_role,\n"
                "        batch_id as source_batch,\n"
                f"        {cols}\n"
                f"    from {ref}"
            )
    header = (
        "-- Generated by `silobreak feed new` / `silobreak feed sync` from the feed contracts' maps_to:\n"
        "-- do not edit by hand. One row per person a departmental record names with a resident ID column.\n"
    )
    if not parts:
        return header + "select null::text as resident_id where false\n"
    return header + "\n\n    union all\n\n".join(parts) + "\n"


def write_files(files: dict[Path, str], *, overwrite: bool) -> list[Path]:
    written = []
    for path, text in files.items():
        if path.exists() and not overwrite and path.read_text(encoding="utf-8") != text:
            raise SilobreakError(f"{path.relative_to(REPO_ROOT)} already exists", hint="pass --force to replace it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def scaffold(
    department: str,
    entity: str,
    guess: SampleGuess,
    source: dict[str, Any],
    *,
    owner: str,
    email: str,
    force: bool = False,
) -> list[Path]:
    """Write the contract, suite, staging model and yml for a new feed; returns the files written."""
    feed = f"{department}__{entity}"
    contract_text = _contract_yaml(department, entity, guess, source, owner, email)
    contract = parse_contract(contract_text, f"contracts/feeds/{feed}.yml")
    checks = {c.name: c.check for c in guess.columns if c.check}
    files = {CONTRACTS_DIR / f"{feed}.yml": contract_text}
    files[SUITES_DIR / f"{contract.suite}.json"] = (
        json.dumps(suite_for(contract, checks), ensure_ascii=False, indent=2) + "\n"
    )
    files.update(staging_files(contract))
    written = write_files(files, overwrite=force)
    written += write_files(staging_yml(contract), overwrite=True)
    written += sync_generated()
    return written


def sync_generated() -> list[Path]:
    """Regenerate the dbt files derived from all contracts (the person union)."""
    return write_files({PERSON_UNION: person_union_sql(load_contracts())}, overwrite=True)


def check_all() -> list[str]:
    """Problems of the repository's feeds: contracts, suites and staging models (empty when all is well)."""
    import great_expectations as gx

    import silobreak.expectations  # noqa: F401 - registers the custom expectations

    problems: list[str] = []
    try:
        contracts = load_contracts()
    except SilobreakError as exc:
        return [str(exc)]
    for contract in contracts:
        suite = SUITES_DIR / f"{contract.suite}.json"
        if not suite.exists():
            problems.append(f"{contract.feed}: no expectation suite {suite.relative_to(REPO_ROOT)}")
        else:
            try:
                data = json.loads(suite.read_text(encoding="utf-8"))
                loaded = gx.ExpectationSuite(**data)
            except Exception as exc:
                problems.append(f"{suite.relative_to(REPO_ROOT)}: not a valid Great Expectations suite: {exc}")
            else:
                for expectation in loaded.expectations:
                    column = getattr(expectation, "column", None)
                    if column and column not in contract.column_names:
                        problems.append(
                            f"{suite.relative_to(REPO_ROOT)}: {expectation.expectation_type} names column "
                            f"{column!r}, which is not in the contract"
                        )
        model = DBT_MODELS / "staging" / contract.department / f"stg_{contract.department}__{contract.entity}.sql"
        if not model.exists():
            problems.append(
                f"{contract.feed}: no staging model {model.relative_to(REPO_ROOT)} (silobreak feed new writes one)"
            )
    current = person_union_sql(contracts)
    if not PERSON_UNION.exists() or PERSON_UNION.read_text(encoding="utf-8") != current:
        problems.append(f"{PERSON_UNION.relative_to(REPO_ROOT)} is out of date: run `silobreak feed sync`")
    return problems
