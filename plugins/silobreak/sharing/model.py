"""The agreement file: one YAML per consuming department and shared dataset, in ``agreements/``.

Everything that ends up in SQL (department, dataset, column names) must be a plain lower-case
identifier, and row-filter values are only ever passed to Postgres as literals, so a hostile file
is rejected here with its file and line, never executed.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from silobreak.contracts import _LOADER, _line_of
from silobreak.errors import SilobreakError
from silobreak.settings import REPO_ROOT

AGREEMENTS_DIR = Path(os.environ.get("SILOBREAK_AGREEMENTS_DIR", REPO_ROOT / "agreements"))
MAX_FILE_BYTES = 64 * 1024
"""An agreement is a page of YAML; anything bigger is a mistake or an attack on the parser."""
DEPARTMENT = r"^[a-z][a-z0-9_]{0,39}$"
"""Short enough that the department's role names (``dept_<name>_svc``) stay within Postgres's 63 bytes."""
IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"

USER = r"^[a-z][a-z0-9_]{0,16}$"
"""A personal login's name: with ``dept_<department>_`` in front it still fits in 63 bytes."""

Access = Literal["clear", "masked", "pseudonym"]
Name = Annotated[str, Field(pattern=IDENTIFIER)]
ModelT = TypeVar("ModelT", bound=BaseModel)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LegalBasis(_Strict):
    kind: Literal["law", "regulation", "contract", "consent", "public_interest"] = Field(
        description="law or regulation is needed for the most sensitive columns (L4) in clear"
    )
    reference: str = Field(min_length=3, max_length=500, description="the article, e.g. 疫苗管理法 第四十七条")


class SharedColumn(_Strict):
    name: Name
    access: Access | None = Field(
        default=None, description="clear, masked or pseudonym; default: clear up to L2, masked from L3"
    )
    reason: str | None = Field(
        default=None, min_length=10, max_length=1000, description="why the purpose needs a sensitive column in clear"
    )


class RowFilter(_Strict):
    """Rows the consumer may see: the column's value is one of ``in``, or starts with one of ``starts_with``."""

    column: Name
    in_: list[str | int] | None = Field(default=None, alias="in", min_length=1, max_length=1000)
    starts_with: list[str] | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _one_test(self) -> RowFilter:
        if (self.in_ is None) == (self.starts_with is None):
            raise ValueError("give exactly one of 'in' (a list of values) or 'starts_with' (a list of prefixes)")
        return self


class Freshness(_Strict):
    max_age_hours: int = Field(ge=1, le=24 * 366, description="the consumer relies on data at most this old")


class Agreement(_Strict):
    consumer: str = Field(pattern=DEPARTMENT, description="the consuming department")
    dataset: Name = Field(description="a master register (a relation in schema master), e.g. master_person")
    purpose: str = Field(min_length=10, max_length=2000)
    legal_basis: LegalBasis
    start: date
    end: date
    columns: list[SharedColumn] = Field(min_length=1, max_length=500)
    row_filter: RowFilter | None = None
    freshness: Freshness | None = None

    @model_validator(mode="after")
    def _sound(self) -> Agreement:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        names = [c.name for c in self.columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"columns listed twice: {', '.join(repeated)}")
        return self

    @property
    def id(self) -> str:
        """``<consumer>__<dataset>``: also the file's name; one agreement per department and dataset."""
        return f"{self.consumer}__{self.dataset}"

    def active(self, on: date) -> bool:
        return self.start <= on <= self.end


class LoginUser(_Strict):
    name: str = Field(pattern=USER, description="the login is dept_<department>_<name>")
    person: str = Field(min_length=2, max_length=200, description="who uses it (name and office)")


class Logins(_Strict):
    """``agreements/logins/<department>.yml``: the department's personal logins, besides its service
    login ``dept_<department>_svc``; each reads exactly what the department's agreements allow."""

    department: str = Field(pattern=DEPARTMENT)
    users: list[LoginUser] = Field(max_length=200)

    @model_validator(mode="after")
    def _unique(self) -> Logins:
        names = [u.name for u in self.users]
        if "svc" in names or len(set(names)) != len(names):
            raise ValueError("user names must be unique and not 'svc' (the service login)")
        return self


class AgreementFile(BaseModel):
    """An agreement with where it came from, so later checks can name the file and line."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    path: Path
    text: str
    agreement: Agreement
    root: Any  # the composed yaml.Node, for line numbers

    def line(self, *loc: int | str) -> int | None:
        return _line_of(self.root, loc)

    def where(self, *loc: int | str) -> str:
        return f"{self.path}:{self.line(*loc) or '?'}"


_MODELS: dict[str, type[BaseModel]] = {
    "legal_basis": LegalBasis,
    "columns": SharedColumn,
    "row_filter": RowFilter,
    "freshness": Freshness,
}


def _allowed_here(loc: tuple[int | str, ...], root: type[BaseModel] = Agreement) -> list[str]:
    model: type[BaseModel] = root
    for part in loc[:-1]:
        if part == "users":
            model = LoginUser
        if isinstance(part, str) and part in _MODELS:
            model = _MODELS[part]
    return [field.alias or name for name, field in model.model_fields.items()]


def _describe(err: Any, root: type[BaseModel] = Agreement) -> str:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        import difflib

        allowed = _allowed_here(loc, root)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        return f"{where}: unknown field; " + (
            f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        )
    if err["type"] == "missing":
        return f"{where}: required field is missing; add it"
    return f"{where}: {err['msg']}"


def _refuse_aliases(text: str, source: str) -> None:
    """YAML anchors and aliases let a small file expand enormously; agreements never need them."""
    try:
        for token in yaml.scan(text, Loader=_LOADER):
            if isinstance(token, yaml.AliasToken | yaml.AnchorToken):
                line = token.start_mark.line + 1
                raise SilobreakError(f"{source}:{line}: YAML anchors and aliases (& and *) are not allowed here")
    except yaml.YAMLError as exc:
        raise SilobreakError(f"{source}: not valid YAML: {exc}") from exc


def parse_agreement(text: str, source: str) -> tuple[Agreement, Any]:
    """Check an agreement's structure; returns it with its YAML node tree (for line numbers)."""
    return _parse(text, source, Agreement)


def _parse(text: str, source: str, model: type[ModelT]) -> tuple[ModelT, Any]:
    if len(text.encode()) > MAX_FILE_BYTES:
        raise SilobreakError(
            f"{source}: {len(text.encode()):,} bytes is too big for an agreement (at most {MAX_FILE_BYTES:,})",
            hint="an agreement names one dataset and its columns; split it or remove what is not needed",
        )
    _refuse_aliases(text, source)
    data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (libyaml's when present)
    root = yaml.compose(text, Loader=_LOADER)
    try:
        return model.model_validate(data), root
    except ValidationError as exc:
        lines = [f"  {source}:{_line_of(root, tuple(e['loc'])) or '?'}: {_describe(e, model)}" for e in exc.errors()]
        raise SilobreakError(
            f"{source}: not valid:\n" + "\n".join(lines),
            hint="see docs/sharing.md for every field",
        ) from exc


def load_agreement(path: Path) -> AgreementFile:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SilobreakError(f"{path}: {path.stat().st_size:,} bytes is too big for an agreement")
    text = path.read_text(encoding="utf-8")
    agreement, root = parse_agreement(text, str(path))
    if path.name != f"{agreement.id}.yml":
        raise SilobreakError(
            f"{path}: an agreement's file is named <consumer>__<dataset>.yml",
            hint=f"rename it to {agreement.id}.yml (one agreement per department and dataset; widen it to share more)",
        )
    return AgreementFile(path=path, text=text, agreement=agreement, root=root)


def load_agreements(directory: Path = AGREEMENTS_DIR) -> list[AgreementFile]:
    """Every agreement file; all structural errors of all files together, so one run shows them all."""
    files, errors = [], []
    for path in sorted(directory.glob("*.yml")):
        try:
            files.append(load_agreement(path))
        except SilobreakError as exc:
            errors.append(exc.message)
    if errors:
        raise SilobreakError("\n".join(errors), hint="see docs/sharing.md for every field")
    return files


def load_logins(directory: Path = AGREEMENTS_DIR) -> dict[str, list[str]]:
    """Personal logins per department, from ``logins/<department>.yml`` beside the agreements."""
    logins: dict[str, list[str]] = {}
    for path in sorted((directory / "logins").glob("*.yml")):
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SilobreakError(f"{path}: {path.stat().st_size:,} bytes is too big for a list of logins")
        found, _ = _parse(path.read_text(encoding="utf-8"), str(path), Logins)
        if path.stem != found.department:
            raise SilobreakError(
                f"{path}: the file is named after its department", hint=f"rename it to {found.department}.yml"
            )
        logins[found.department] = [u.name for u in found.users]
    return logins
