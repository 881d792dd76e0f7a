"""Traffic Police: minor accidents settled online (快处快赔), one row per party.

Parties type their own details into a phone app, so IDs come with full-width
digits, a lower-case ``x`` or spaces, and phones with ``+86``. Most parties
are residents driving Shenzhen plates (粤B); visitors drive their home
province's plates and carry IDs from there. The table is served to other
departments by an HTTP API that pages through it by ``updated_at``; here it
is produced and stored in Postgres for that service to read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city import lexicon, vocab
from silobreak.city.arrays import (
    IntArray,
    ObjArray,
    base_day,
    choice,
    day_window,
    digits,
    local_seconds,
    text_column,
    ymd_of,
)
from silobreak.city.population import TRAFFIC_POLICE, Population
from silobreak.city.tables import Batch, TableModel, TableSpec
from silobreak.city.world import World

__all__ = ["ACCIDENTS", "Accidents", "plates"]

ACCIDENTS = TableSpec(
    department="traffic_police",
    entity="accidents",
    key="party_no",
    delivery="api",
    columns=(
        ("party_no", "text"),
        ("accident_no", "text"),
        ("party_seq", "integer"),
        ("occurred_at", "timestamptz"),
        ("district", "text"),
        ("place", "text"),
        ("party_name", "text"),
        ("party_id_card_no", "text"),
        ("plate", "text"),
        ("vehicle_type", "text"),
        ("phone", "text"),
        ("responsibility", "text"),
        ("settled_online", "boolean"),
        ("updated_at", "timestamptz"),
    ),
    refs=("person_id",),
    defects={
        "bad_check_digit": ("party_id_card_no",),
        "impossible_date": ("party_id_card_no",),
        "missing_required": ("party_name", "plate", "party_id_card_no"),
        "out_of_domain": ("responsibility",),
        "duplicate": (),
    },
    variations=(
        ("fullwidth_digits", "party_id_card_no", 0.06),
        ("lowercase_x", "party_id_card_no", 0.02),
        ("stray_space", "party_id_card_no", 0.05),
        ("old_15_digit_id", "party_id_card_no", 0.01),
        ("homophone_name", "party_name", 0.03),
        ("similar_char_name", "party_name", 0.02),
        ("traditional_chars", "party_name", 0.01),
        ("phone_format", "phone", 0.08),
        ("plate_format", "plate", 0.06),
    ),
    value_kinds={"party_id_card_no": "resident_id"},
    domains={
        "responsibility": lexicon.RESPONSIBILITIES,
        "district": tuple(d.code for d in vocab.DISTRICTS),
        "vehicle_type": tuple(v for v, _ in lexicon.VEHICLE_TYPES),
    },
    bogus={"responsibility": lexicon.BOGUS_RESPONSIBILITIES},
    insert_rate=0.004,
    update_rate=0.005,
    delete_rate=0.0,
)

HISTORY_DAYS = 730
SECOND_ACCIDENT_SHARE = 0.1
_PARTIES_P = (0.08, 0.88, 0.04)  # accidents with 1, 2, 3 parties
_HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.6, 2, 5, 7, 5, 4, 4, 4, 4, 4, 4, 5, 7, 8, 6, 4, 3, 2, 1.5], dtype=np.float64
)

_ROADS: list[tuple[int, int, str]] = [
    (d, s, road)
    for d, district in enumerate(vocab.DISTRICTS)
    for s, (_, roads) in enumerate(district.streets)
    for road in roads
]
_ROAD_DISTRICT = np.array([d for d, _, _ in _ROADS], dtype=np.int64)
_ROAD_NAME = np.array([r for _, _, r in _ROADS])
_ROAD_FIRST = np.searchsorted(_ROAD_DISTRICT, np.arange(len(vocab.DISTRICTS)))
_ROAD_COUNT = np.bincount(_ROAD_DISTRICT, minlength=len(vocab.DISTRICTS))
# Roads of the same street as each road (a crossing is between neighbouring roads).
_STREET_OF_ROAD = np.unique(np.array([d * 100 + s for d, s, _ in _ROADS]), return_inverse=True)[1]
_STREET_FIRST = np.searchsorted(_STREET_OF_ROAD, _STREET_OF_ROAD)
_STREET_COUNT = np.bincount(_STREET_OF_ROAD)[_STREET_OF_ROAD]
_DISTRICT_NAME = np.array([d.name for d in vocab.DISTRICTS])
_DISTRICT_CODE = np.array([d.code for d in vocab.DISTRICTS], dtype=object)
_NUMBER_TEXT = np.array([f"{i}号附近" for i in range(400)])


def plates(population: Population, person: IntArray, rng: np.random.Generator) -> ObjArray:
    """One plate per person, like 粤B·D12345: Shenzhen's B mostly, visitors their home province's."""
    n = person.size
    provinces = np.array(list(lexicon.PLATE_PROVINCES.values()))
    province_codes = np.array([int(k) for k in lexicon.PLATE_PROVINCES], dtype=np.int64)
    home = np.searchsorted(province_codes, population.region[person] // 10000).clip(0, provinces.size - 1)
    resident = population.resident[person]
    u = rng.random(n)
    province = np.where(resident & (u < 0.95), "粤", provinces[home])
    guangdong = np.array([c for c, _ in lexicon.GUANGDONG_PLATE_LETTERS])
    letter = np.where(
        resident & (u < 0.85),
        "B",
        np.where(
            resident & (u < 0.95),
            guangdong[choice(rng, guangdong.size, n, [w for _, w in lexicon.GUANGDONG_PLATE_LETTERS])],
            np.array(list("ABCDEF"))[rng.integers(0, 6, n)],
        ),
    )
    letters = np.array(list(lexicon.PLATE_LETTERS))
    electric = rng.random(n) < 0.3
    ordinary = np.strings.add(
        np.where(rng.random(n) < 0.6, letters[rng.integers(0, letters.size, n)], digits(rng.integers(0, 10, n), 1)),
        digits(rng.integers(0, 10_000, n), 4),
    )
    body = np.where(
        electric,
        np.strings.add(np.where(rng.random(n) < 0.8, "D", "F"), digits(rng.integers(0, 10**5, n), 5)),
        ordinary,
    )
    return text_column(np.strings.add(np.strings.add(province, letter), np.strings.add("·", body)))


def _accidents(
    world: World, rng: np.random.Generator, party: IntArray, first_day: int, last_day: int
) -> dict[str, np.ndarray]:
    """Group parties into accidents and give each accident a time and a place."""
    n = party.size
    sizes = rng.choice(3, size=max(n, 1), p=_PARTIES_P) + 1
    ends = np.cumsum(sizes)
    n_accidents = int(np.searchsorted(ends, n)) + 1 if n else 0
    sizes = sizes[:n_accidents].copy()
    if n_accidents:
        sizes[-1] -= int(ends[n_accidents - 1]) - n
    accident = np.repeat(np.arange(n_accidents), sizes)
    seq = np.arange(n) - (np.cumsum(sizes) - sizes)[accident] + 1

    day = rng.integers(first_day, last_day + 1, n_accidents)
    hour = choice(rng, 24, n_accidents, _HOUR_WEIGHTS)
    occurred = local_seconds(day, hour * 3600 + rng.integers(0, 3600, n_accidents))
    district = choice(rng, len(vocab.DISTRICTS), n_accidents, [d.weight for d in vocab.DISTRICTS])
    road = _ROAD_FIRST[district] + np.floor(rng.random(n_accidents) * _ROAD_COUNT[district]).astype(np.int64)
    cross = _STREET_FIRST[road] + np.floor(rng.random(n_accidents) * _STREET_COUNT[road]).astype(np.int64)
    at_crossing = (rng.random(n_accidents) < 0.6) & (cross != road)
    suffix = np.array(lexicon.CROSS_STREET_SUFFIXES)[rng.integers(0, 2, n_accidents)]
    crossing = np.strings.add(np.strings.add("与", _ROAD_NAME[cross]), suffix)
    number = _NUMBER_TEXT[np.floor(np.exp(rng.uniform(0, np.log(399), n_accidents))).astype(np.int64)]
    place = np.strings.add(
        np.strings.add(_DISTRICT_NAME[district], _ROAD_NAME[road]), np.where(at_crossing, crossing, number)
    )

    pair = choice(rng, len(lexicon.RESPONSIBILITY_PAIRS), n_accidents, [p for *_, p in lexicon.RESPONSIBILITY_PAIRS])
    first = np.array([a for a, _, _ in lexicon.RESPONSIBILITY_PAIRS], dtype=object)[pair][accident]
    second = np.array([b for _, b, _ in lexicon.RESPONSIBILITY_PAIRS], dtype=object)[pair][accident]
    alone = sizes[accident] == 1
    responsibility = np.where(alone | (seq == 1), np.where(alone, "全部责任", first), second)
    responsibility = np.where((sizes[accident] == 3) & (seq == 1), "主要责任", responsibility)
    responsibility = np.where((sizes[accident] == 3) & (seq > 1), "次要责任", responsibility)
    settled = rng.random(n_accidents) < 0.7

    # Reported within the hour when settled online, else within days; some are reviewed later.
    reported = occurred[accident] + np.where(
        settled[accident], rng.integers(300, 3600, n), rng.integers(3600, 3 * 86400, n)
    )
    return {
        "accident": accident,
        "seq": seq,
        "occurred": occurred[accident],
        "district": district[accident],
        "place": text_column(place)[accident],
        "responsibility": responsibility.astype(object),
        "settled": settled[accident],
        "reported": reported,
        "day": day[accident],
    }


class Accidents(TableModel):
    spec = ACCIDENTS

    def _batch(self, world: World, rng: np.random.Generator, party: IntArray, first_day: int, last_day: int) -> Batch:
        population = world.population
        accident = _accidents(world, rng, party, first_day, last_day)
        members = world.members(TRAFFIC_POLICE)
        plate_of = plates(population, members, world.rng("plates"))
        plate = plate_of[np.searchsorted(members, party)] if members.size else np.zeros(0, dtype=object)
        vehicle = np.array([v for v, _ in lexicon.VEHICLE_TYPES], dtype=object)[
            choice(rng, len(lexicon.VEHICLE_TYPES), party.size, [w for _, w in lexicon.VEHICLE_TYPES])
        ]
        created = accident["reported"]
        _, end = day_window(last_day - base_day() + 1)
        created = np.minimum(created, end - 2)
        later = rng.random(party.size) < 0.2
        updated = np.where(later, created + np.floor(rng.random(party.size) * (end - 1 - created)), created)
        return Batch(
            columns={
                "accident_no": np.full(party.size, None, dtype=object),
                "party_seq": accident["seq"].astype(np.int64),
                "occurred_at": accident["occurred"],
                "district": _DISTRICT_CODE[accident["district"]],
                "place": accident["place"],
                "party_name": population.name_text[party],
                "party_id_card_no": population.id_text[party],
                "plate": plate,
                "vehicle_type": vehicle,
                "phone": population.phone_text[party],
                "responsibility": accident["responsibility"],
                "settled_online": accident["settled"],
                "_accident": accident["accident"],
                "_day": accident["day"],
                "_district": accident["district"],
            },
            refs={"person_id": party},
            created=created,
            updated=updated.astype(np.int64),
        )

    def base(self, world: World, rng: np.random.Generator) -> Batch:
        members = world.members(TRAFFIC_POLICE)
        twice = members[rng.random(members.size) < SECOND_ACCIDENT_SHARE]
        party = rng.permutation(np.concatenate([members, twice]))
        return self._batch(world, rng, party, base_day() - HISTORY_DAYS, base_day() - 1)

    def inserts(self, world: World, rng: np.random.Generator, day: int, count: int) -> Batch:
        members = world.members(TRAFFIC_POLICE)
        party = members[rng.integers(0, members.size, count)] if members.size else members
        today = base_day() + day - 1
        return self._batch(world, rng, party, today, today)

    def update(
        self, world: World, rows: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator, day: int
    ) -> dict[str, Any]:
        """Cases closed online after review."""
        return {"settled_online": np.ones(len(rows), dtype=np.bool_)}

    def keys(self, batch: Batch, serial: IntArray, rng: np.random.Generator, existing: Any) -> ObjArray:
        """``accident_no`` (district, date, serial of its first party) and ``party_no`` (accident_no-n).

        Also fills the ``accident_no`` column; a party entered twice gets the next party number.
        """
        n = len(batch)
        if n == 0:
            return np.zeros(0, dtype=object)
        accident = batch.columns["_accident"]
        frame = pd.DataFrame({"accident": accident, "serial": serial})
        first = frame.groupby("accident")["serial"].transform("min").to_numpy()
        # Party numbers follow party_seq; a party entered twice gets 4, 5, ...
        frame["seq"] = batch.columns["party_seq"]
        again = frame.duplicated(["accident", "seq"]).to_numpy()
        rank = frame["seq"].to_numpy().copy()
        rank[again] = 4 + frame[again].groupby("accident").cumcount().to_numpy()
        width = max(6, len(str(int(first.max()))))
        accident_no = np.strings.add(
            np.strings.add(
                digits(_DISTRICT_CODE[batch.columns["_district"]].astype(np.int64), 6),
                digits(ymd_of(batch.columns["_day"]), 8),
            ),
            digits(first, width),
        )
        batch.columns["accident_no"] = text_column(accident_no)
        return text_column(np.strings.add(np.strings.add(accident_no, "-"), digits(rank, 1)))
