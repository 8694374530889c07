"""Dashboard pages: one module per page, registered by Dash's pages feature at app start.

Layouts are cheap skeletons; every figure and table is filled by a thin callback that reads
the active analysis run through a read query or a service and hands the rows to a builder.

Imports: ``dash``, components, services, ``dashboard.web`` (context, sign-in), read queries
(``db.queries``), filter types (``db.filters``) and the audit log. Never analytics, never
SQLAlchemy, sessions, engines or models directly.
"""
