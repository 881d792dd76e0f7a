"""Generate the whole synthetic city: six departments' source tables on a given day, and the truth.

    city = generate_city(10_000, seed=1, day=3)
    city.table("health.vaccinations").records   # that day's GBK file, as a frame
    city.table("health.vaccinations").truth     # who each row really is, what is wrong with it

Same scale, seed and day always give the same city. ``scale`` is the number
of household-register rows; the other tables follow from the people (about
five records per resident over all tables).
"""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped, unused-ignore]  # no pandas-stubs

from silobreak.city.arrays import BASE_DATE, date_objects, objects
from silobreak.city.civil_affairs import Marriages, Subsidies
from silobreak.city.enterprises import STATUSES, build_enterprises
from silobreak.city.health import ClinicVisits, Vaccinations
from silobreak.city.human_resources import SettlementApplications, SocialInsurance
from silobreak.city.market_regulation import BusinessLicences, EnterpriseRegister, FoodBusinessLicences
from silobreak.city.model import City
from silobreak.city.population import build_population
from silobreak.city.public_security import Residents
from silobreak.city.residents import generate_residents
from silobreak.city.tables import TableModel, build_table
from silobreak.city.traffic_police import Accidents
from silobreak.city.world import World

__all__ = ["MODELS", "build_world", "generate_city"]

#: Every table of the city, in the order of :data:`silobreak.city.model.DEPARTMENTS`.
MODELS: tuple[type[TableModel], ...] = (
    Residents,
    SettlementApplications,
    SocialInsurance,
    EnterpriseRegister,
    BusinessLicences,
    FoodBusinessLicences,
    Accidents,
    Vaccinations,
    ClinicVisits,
    Marriages,
    Subsidies,
)

MAX_DAY = 3650


def build_world(scale: int, *, seed: int, day: int = 0, defect_rate: float = 0.03) -> World:
    """The real people and enterprises of the city up to ``day`` (what the tables are about)."""
    residents = generate_residents(scale, seed=seed, defect_rate=defect_rate, today=BASE_DATE)
    population = build_population(residents, scale=scale, seed=seed, day=day)
    enterprises = build_enterprises(population, seed=seed, day=day)
    return World(
        seed=seed,
        scale=scale,
        day=day,
        defect_rate=defect_rate,
        residents=residents,
        population=population,
        enterprises=enterprises,
    )


def generate_city(scale: int, *, seed: int, day: int = 0, defect_rate: float = 0.03) -> City:
    """Every department's source tables as they stand (or are delivered) on ``day``, with the truth.

    ``defect_rate`` is the share of defective records in every table, split
    evenly among the table's defect kinds.
    """
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    if not 0 <= day <= MAX_DAY:
        raise ValueError(f"day must be within [0, {MAX_DAY}], got {day}")
    if not 0.0 <= defect_rate <= 0.5:
        raise ValueError(f"defect_rate must be within [0, 0.5], got {defect_rate}")
    world = build_world(scale, seed=seed, day=day, defect_rate=defect_rate)
    tables = [build_table(model(), world) for model in MODELS]
    return City(
        scale=scale,
        seed=seed,
        day=day,
        tables=tables,
        persons=_persons(world),
        enterprises=_enterprises(world),
    )


def _persons(world: World) -> pd.DataFrame:
    """One row per real person: the true values the departments' records vary from."""
    population = world.population
    household = population.household
    known = household >= 0
    household_no = np.full(population.size, None, dtype=object)
    household_no[known] = population.households.number[household[known]]
    return pd.DataFrame(
        {
            "person_id": objects(population.person_id),
            "name": objects(population.name_text),
            "gender": objects(np.where(population.male, "男", "女").astype(object)),
            "birth_date": objects(date_objects(population.birth_day)),
            "id_card_no": objects(population.id_text),
            "phone": objects(population.phone_text),
            "resident": population.resident,
            "household_no": objects(household_no),
            "registered_day": population.created_day,
        },
        copy=False,
    )


def _enterprises(world: World) -> pd.DataFrame:
    """One row per real enterprise, with its legal representative's ``person_id``."""
    enterprises = world.enterprises
    return pd.DataFrame(
        {
            "enterprise_id": objects(enterprises.enterprise_id),
            "credit_code": objects(enterprises.credit_code),
            "name": objects(enterprises.name),
            "type": objects(enterprises.type_text),
            "individual_business": enterprises.individual,
            "legal_representative_person_id": objects(world.person_ids(enterprises.representative)),
            "registered_address": objects(enterprises.address),
            "established_date": objects(date_objects(enterprises.established_day)),
            "status": objects(np.array(STATUSES, dtype=object)[enterprises.status]),
            "registered_day": enterprises.created_day,
        },
        copy=False,
    )
