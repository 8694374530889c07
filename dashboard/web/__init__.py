"""Web plumbing around the Dash app: request context, sign-in, hardening, download routes.

Imports: Flask, services, read queries and filter types (``db.queries``, ``db.filters``,
``db.audit``). Never pages, the CLI or analytics; no SQL of its own.
"""
