"""The rules an agreement must satisfy against the catalog, with the file and line of each breach.

- every column and the row filter's column exist in the dataset (did-you-mean when misspelt);
- L1/L2 columns default to clear, L3/L4 to masked; a sensitive column in clear needs a ``reason``;
- an L4 column in clear needs a legal basis of kind law or regulation (PIPL: sensitive personal
  information only with a legal basis); a column graded ``core`` is never shared in clear or masked,
  only as a pseudonym for joining;
- the agreement has not ended (``check`` is strict; ``apply`` revokes ended agreements instead).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date

from silobreak.sharing.catalog import ColumnClass, Dataset
from silobreak.sharing.model import AgreementFile


@dataclass(frozen=True)
class Grant:
    column: ColumnClass
    access: str
    """clear, masked or pseudonym."""


def default_access(column: ColumnClass) -> str:
    return "masked" if column.sensitive else "clear"


def _unknown(name: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"unknown {what} '{name}'; " + (f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}")


def grants(file: AgreementFile, dataset: Dataset) -> list[Grant]:
    """The columns an (already checked) agreement shares, each with its access."""
    return [
        Grant(dataset.columns[c.name], c.access or default_access(dataset.columns[c.name]))
        for c in file.agreement.columns
    ]


def problems(file: AgreementFile, catalog: dict[str, Dataset], today: date, *, ended_is_error: bool) -> list[str]:
    """Every breach of the rules, as ``file:line: message``."""
    agreement = file.agreement
    dataset = catalog.get(agreement.dataset)
    if dataset is None:
        return [
            f"{file.where('dataset')}: {_unknown(agreement.dataset, sorted(catalog), 'dataset')} (master registers)"
        ]
    found = []
    known = list(dataset.columns)
    for i, shared in enumerate(agreement.columns):
        column = dataset.columns.get(shared.name)
        if column is None:
            found.append(f"{file.where('columns', i, 'name')}: {_unknown(shared.name, known, 'column')}")
            continue
        access = shared.access or default_access(column)
        where = file.where("columns", i)
        label = f"{column.name} ({column.level}, {column.grading}; {column.why})"
        if column.grading == "core" and access != "pseudonym":
            found.append(f"{where}: {label} is core data: share it only as access: pseudonym")
        elif access == "clear" and column.sensitive and not shared.reason:
            found.append(
                f"{where}: {label} in clear is not justified by the purpose: add a reason saying why "
                "the purpose needs it in clear, or use access: masked / pseudonym"
            )
        elif access == "clear" and column.level == "L4" and agreement.legal_basis.kind not in ("law", "regulation"):
            found.append(
                f"{where}: {label} in clear needs a legal basis of kind law or regulation "
                f"(this agreement's is {agreement.legal_basis.kind}); use access: pseudonym to join on it"
            )
    if agreement.row_filter and agreement.row_filter.column not in dataset.columns:
        found.append(f"{file.where('row_filter', 'column')}: {_unknown(agreement.row_filter.column, known, 'column')}")
    if ended_is_error and agreement.end < today:
        found.append(
            f"{file.where('end')}: the agreement ended on {agreement.end}; extend 'end' or delete the file "
            "(apply revokes it either way)"
        )
    return found
