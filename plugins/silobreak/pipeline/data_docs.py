"""Great Expectations Data Docs for every validated batch: a browsable site in the stack folder.

Validation keeps its results as JSON (S3 and ``silobreak.validation_results``); this module turns a
batch's results into GX's own validation result, stores it beside the site and renders its page
and the index, so governance can read any batch's checks the way GX shows them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from silobreak.contracts import FeedContract
from silobreak.settings import Stack

log = logging.getLogger(__name__)


def site_dir(stack: Stack) -> Path:
    return stack.dir / "data_docs" / "site"


def _context(stack: Stack) -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    root = stack.dir / "data_docs"
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    config.stores["validation_results_store"] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(root / "results")},
    }
    config.data_docs_sites = {
        "silobreak": {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir(stack))},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    }
    return gx.get_context(project_config=config, mode="ephemeral")


def _suite_result(contract: FeedContract, batch_id: str, results: list[dict[str, Any]], stats: dict[str, Any]) -> Any:
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration
    from great_expectations.expectations.metadata_types import FailureSeverity

    converted = []
    for item in results:
        config = item["expectation_config"]
        converted.append(
            ExpectationValidationResult(
                success=bool(item["success"]),
                expectation_config=ExpectationConfiguration(
                    type=config["type"],
                    kwargs=config["kwargs"],
                    meta=config.get("meta"),
                    description=config.get("description"),
                    severity=FailureSeverity(config.get("severity") or "critical"),
                ),
                result=item.get("result") or {},
                meta=item.get("meta") or {},
                exception_info=item.get("exception_info"),
            )
        )
    return ExpectationSuiteValidationResult(
        success=all(r.success for r in converted),
        results=converted,
        suite_name=contract.suite,
        statistics=stats,
        meta={
            "active_batch_definition": {
                "datasource_name": contract.department,
                "data_asset_name": contract.entity,
                "batch_definition_name": batch_id,
            },
            "batch_markers": {"feed": contract.feed, "batch_id": batch_id},
            "batch_spec": {},
        },
        batch_id=batch_id,
    )


def publish(
    stack: Stack, contract: FeedContract, batch_id: str, results: list[dict[str, Any]], stats: dict[str, Any]
) -> Path | None:
    """Render one batch's page (and the index); returns the page, or None if rendering failed.

    Rendering is a view of results already kept elsewhere, so a failure here is logged and never
    stops the feed."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from silobreak.pipeline.validation import SUITES_DIR

    try:
        context = _context(stack)
        for path in sorted(SUITES_DIR.glob("*.json")):  # every suite, so the index lists them all
            context.suites.add(gx.ExpectationSuite(**json.loads(path.read_text(encoding="utf-8"))))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=contract.suite),
            run_id=RunIdentifier(run_name=batch_id, run_time=datetime.now(UTC)),
            batch_identifier=f"{contract.feed}-{batch_id}",
        )
        context.validation_results_store.set(key, _suite_result(contract, batch_id, results, stats))
        context.build_data_docs(resource_identifiers=[key])
    except Exception:  # a view must not stop the data; the results are in Postgres and S3 already
        log.exception("could not render Data Docs for %s batch %s", contract.feed, batch_id)
        return None
    return site_dir(stack) / "validations" / Path(*key.to_tuple()).with_suffix(".html")  # type: ignore[no-untyped-call]
