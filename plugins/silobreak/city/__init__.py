"""The synthetic city of Shenzhen: departments' systems of record with a known truth beside them."""

from silobreak.city.residents import Residents, generate_residents, residents_to_postgres

__all__ = ["Residents", "generate_residents", "residents_to_postgres"]
