"""Shared fixtures. Integration tests run on their own stack (``.silobreak/test``, other ports than
the demo), created fresh for the session and stopped at the end unless SILOBREAK_KEEP_STACK=1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

os.environ["SILOBREAK_STACK"] = "test"  # before silobreak reads it, so no test touches the demo stack

from silobreak.settings import Stack

TEST_SCALE = 1500
TEST_SEED = 11


#: Run after the others, in this order: they land every feed (and master data the next day's files),
#: while the tests of a feed's first landing expect to do that landing themselves.
RUN_LAST = ("test_quality_accuracy.py", "test_master_data.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.integration)
    last = {name: n + 1 for n, name in enumerate(RUN_LAST)}
    items.sort(key=lambda item: last.get(item.path.name, 0))  # stable: the rest keep their order


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """A running, freshly created test stack with the test city in the departments' databases."""
    from silobreak.city.seed import seed_city
    from silobreak.stack import control

    test_stack = Stack("test")
    keep = os.environ.get("SILOBREAK_KEEP_STACK") == "1"
    if not keep:
        control.down(test_stack)
        shutil.rmtree(test_stack.dir, ignore_errors=True)
    control.up(test_stack, progress=lambda what: print(f"starting {what}", flush=True))
    seed_city(test_stack, scale=TEST_SCALE, seed=TEST_SEED)
    yield test_stack
    if not keep:
        control.down(test_stack)
