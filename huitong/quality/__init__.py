"""Data quality (数据质量) and objections (异议处理): whether data is right, and fixing it where it is wrong.

Rules are data (YAML/JSON files or console edits) grouped by the GB/T 36344 dimensions, compiled to
SQL and run in one DuckDB pass over a stored version; every run keeps its metrics per rule and
version; scorecards summarise them per resource and department; objections carry a wrong value
back to the department whose load produced it.
"""
