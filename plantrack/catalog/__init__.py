"""The plan catalog: indicators, milestones, units, allocation and baselines.

The files in ``expectations/`` are reviewed data (see docs/catalog.md). ``model`` holds
the catalog as the rest of plantrack sees it; ``loading`` loads and checks the files,
refusing a catalog that does not hold together with every problem listed.
"""

from plantrack.catalog.loading import (
    INDICATOR_KEYS,
    CatalogError,
    catalog_from_settings,
    load_catalog,
    load_units,
)
from plantrack.catalog.model import (
    QUALIFIERS,
    QUARTERS,
    Allocation,
    Baseline,
    Catalog,
    Indicator,
    Milestone,
    Unit,
)

__all__ = [
    "INDICATOR_KEYS",
    "QUALIFIERS",
    "QUARTERS",
    "Allocation",
    "Baseline",
    "Catalog",
    "CatalogError",
    "Indicator",
    "Milestone",
    "Unit",
    "catalog_from_settings",
    "load_catalog",
    "load_units",
]
