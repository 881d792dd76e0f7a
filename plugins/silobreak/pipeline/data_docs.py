"""Great Expectations Data Docs for every validated batch: a browsable site in the stack folder.

Validation keeps its results as JSON (S3 and ``silobreak.validation_results``); this module turns a
batch's results into GX's own validation result, stores it beside the site and renders its page
and the index, so governance can read any batch's checks the way GX shows them.

A process keeps one GX context per stack (its stores are files, so pages and results written by
other processes still show in the index) and reloads a suite only when its file changes.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from silobreak.contracts import FeedContract
from silobreak.settings import Stack

log = logging.getLogger(__name__)


@dataclass
class _Site:
    """A stack's Data Docs context, and the suite files it holds (by path: modification time, name)."""

    context: Any
    suites: dict[Path, tuple[int, str]] = field(default_factory=dict)

    def refresh_suites(self, folder: Path) -> None:
        """Hold every suite of ``folder`` (so the index lists them all), as its file is now."""
        import great_expectations as gx

        paths = {path: path.stat().st_mtime_ns for path in folder.glob("*.json")}
        for path in [p for p in self.suites if p not in paths]:
            self.context.suites.delete(self.suites.pop(path)[1])
        for path, mtime in sorted(paths.items()):
            if self.suites.get(path, (None,))[0] != mtime:
                suite = gx.ExpectationSuite(**json.loads(path.read_text(encoding="utf-8")))
                self.context.suites.add_or_update(suite)
                self.suites[path] = (mtime, suite.name)


_sites: dict[Path, _Site] = {}
_lock = threading.Lock()  # a GX context is not meant for concurrent use: one page at a time per process


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
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    from silobreak.pipeline.validation import SUITES_DIR

    with _lock:
        try:
            site = _sites.get(stack.dir)
            if site is None:
                site = _sites[stack.dir] = _Site(_context(stack))
            site.refresh_suites(SUITES_DIR)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=contract.suite),
                run_id=RunIdentifier(run_name=batch_id, run_time=datetime.now(UTC)),
                batch_identifier=f"{contract.feed}-{batch_id}",
            )
            site.context.validation_results_store.set(key, _suite_result(contract, batch_id, results, stats))
            site.context.build_data_docs(resource_identifiers=[key])
        except Exception:  # a view must not stop the data; the results are in Postgres and S3 already
            _sites.pop(stack.dir, None)  # the next page starts from a fresh context
            log.exception("could not render Data Docs for %s batch %s", contract.feed, batch_id)
            return None
    return site_dir(stack) / "validations" / Path(*key.to_tuple()).with_suffix(".html")  # type: ignore[no-untyped-call]
