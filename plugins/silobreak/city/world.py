"""The world the departments' tables describe: the real people and enterprises, for one seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from silobreak.city.arrays import IntArray, ObjArray, stream
from silobreak.city.enterprises import Enterprises
from silobreak.city.population import Population
from silobreak.city.residents import Residents

__all__ = ["World"]

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class World:
    """Everything true about the city up to ``day``; department tables are views of it."""

    seed: int
    scale: int
    day: int
    defect_rate: float
    residents: Residents
    population: Population
    enterprises: Enterprises
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, name: str, make: Callable[[World], T]) -> T:
        """``make(world)``, computed once per world (plans several tables share, e.g. who works where)."""
        if name not in self._memo:
            self._memo[name] = make(self)
        value: T = self._memo[name]
        return value

    def rng(self, *names: str | int) -> np.random.Generator:
        """The random stream of ``names`` (a table, a day) under this city's seed."""
        return stream(self.seed, *names)

    def members(self, department: int) -> IntArray:
        """Person indices assigned to a department on day 0."""
        population = self.population
        out: IntArray = np.flatnonzero(population.members[:, department] & (population.created_day == 0))
        return out

    def person_index(self, person_ids: ObjArray) -> IntArray:
        """Person indices of ``person_id`` values (-1 for None): the inverse of :meth:`person_ids`."""
        population = self.population
        n_residents = int(np.count_nonzero(population.resident & (population.created_day == 0)))
        n_visitors = int(np.count_nonzero(~population.resident))
        out = np.full(len(person_ids), -1, dtype=np.int64)
        for i, pid in enumerate(person_ids):
            if not isinstance(pid, str):
                continue
            number = int(pid[1:]) - 1
            if pid[0] == "V":
                out[i] = n_residents + number
            else:
                out[i] = number if number < n_residents else number + n_visitors
        return out

    def person_ids(self, index: IntArray) -> ObjArray:
        """``person_id`` of person indices, None where the index is -1."""
        return _ids(self.population.person_id, index)

    def enterprise_ids(self, index: IntArray) -> ObjArray:
        """``enterprise_id`` of enterprise indices, None where the index is -1."""
        return _ids(self.enterprises.enterprise_id, index)


def _ids(table: ObjArray, index: IntArray) -> ObjArray:
    index = np.asarray(index, dtype=np.int64)
    out: ObjArray = table[np.maximum(index, 0)] if table.size else np.full(index.size, None, dtype=object)
    if (index < 0).any():
        out = out.copy()
        out[index < 0] = None
    return out
