"""Data: get a table in and say what it is.

Read files and uploads (``io``), a read-only SQL query (``sql``), a URL or web page (``web``), a bundled sample
(``samples``); append new rows (``append``); infer and override each column's kind (``schema``); propose and check
the problem: target, task and metric (``problem``).
"""

from engine._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(__name__, {
    "io": ("LoadedTable", "read_table", "sniff_csv", "excel_sheets"),
    "sql": ("read_query", "check_select", "redact_url"),
    "web": ("read_url", "read_page", "html_tables"),
    "samples": ("SAMPLES", "load_sample"),
    "append": ("append_rows", "check_new_rows"),
    "schema": ("KINDS", "ColumnInfo", "apply_kinds", "infer_schema", "schema_from_dicts"),
    "problem": ("TASKS", "Problem", "propose_problem", "validate_problem"),
})
