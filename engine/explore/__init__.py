"""Explore: look at the table before modelling it.

Profile it (overview, per-column statistics, data-quality warnings, missingness, associations: ``profile``), draw
those results (``plots``), and write them out as JSON or one standalone HTML page (``report``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "profile": ("Profile", "profile", "overview", "quality_warnings", "association_matrix", "target_association"),
    "report": ("KEY_STATISTICS", "html_report", "profile_dict", "profile_json", "statistics_tables"),
})
