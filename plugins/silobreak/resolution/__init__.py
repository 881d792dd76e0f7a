"""Entity resolution of the departments' person records into the shared population register.

Deterministic on a valid resident ID, probabilistic (Splink on DuckDB, trained without labels) for
records without one; clusters keep their master id across runs (``ids``), pairs between the two
thresholds wait for governance (``store``), and ``run`` ties it to the warehouse.
"""
