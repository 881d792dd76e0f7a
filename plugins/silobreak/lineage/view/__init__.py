"""The governance view: lineage graph, dataset pages, impact analysis and search, as plain HTML/JS."""
