"""OpenLineage for silobreak: events from every step, and the built-in lineage service that stores them."""
