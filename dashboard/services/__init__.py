"""The use cases: plain functions that a page callback, the CLI and a scheduled job call alike.

Analysis runs, uploads, campaigns (create, export, measure), exports, start-up and sample
data. A service reads and writes through ``db`` and computes with ``analytics``; jobs write
their own audit rows.

Imports: analytics, ``db``, components (pure builders such as the CSV writer) and
``dashboard.config``. Never Dash, Flask, pages, web or the CLI; no SQL of its own (SQLAlchemy
only for the ``Engine`` type).
"""
