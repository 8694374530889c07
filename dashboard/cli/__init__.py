"""The command line, ``python -m dashboard <command>``: one module per command group.

Imports: services, ``db`` (read queries, sessions, ingestion), ``dashboard.config``, the app
(for ``serve`` and ``bench ui``). Never pages or components; no SQL of its own.
"""
