"""Master-data tests run last: they load every feed, and the next day's files, into the shared
test stack, which would leave nothing new for the tests of the feeds' source kinds."""

from __future__ import annotations

import pytest

LAST = "test_master_data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.stem.startswith(LAST))
