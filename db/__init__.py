"""The database: models, sessions, ingestion and every SQL statement of the product.

Reads in ``queries``, analysis writes in ``results``, campaigns, accounts and the audit log in
their own modules; filters → SQL and the URL codec in ``filters``; column names in
``columns``.

Imports: SQLAlchemy, pandas and other ``db`` modules. Nothing from ``dashboard``.
"""
