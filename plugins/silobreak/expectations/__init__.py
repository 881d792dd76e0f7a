"""Custom Great Expectations for the identifiers of Chinese public records.

Importing this package registers the expectations with Great Expectations, so suites in
``expectations/*.json`` can name them by type (``expect_column_values_to_be_valid_resident_id``).
"""

from silobreak.expectations.dates import ExpectColumnValuesToBeValidDate as ExpectColumnValuesToBeValidDate
from silobreak.expectations.identifiers import (
    ExpectColumnValuesToBeCurrentShenzhenDivisionCode,
    ExpectColumnValuesToBeKnownShenzhenDivisionCode,
    ExpectColumnValuesToBeValidCreditCode,
    ExpectColumnValuesToBeValidMobile,
)
from silobreak.expectations.resident_id import (
    ExpectColumnPairValuesGenderToMatchResidentId,
    ExpectColumnValuesToBeValidResidentId,
)

__all__ = [
    "ExpectColumnPairValuesGenderToMatchResidentId",
    "ExpectColumnValuesToBeCurrentShenzhenDivisionCode",
    "ExpectColumnValuesToBeKnownShenzhenDivisionCode",
    "ExpectColumnValuesToBeValidCreditCode",
    "ExpectColumnValuesToBeValidMobile",
    "ExpectColumnValuesToBeValidResidentId",
]
