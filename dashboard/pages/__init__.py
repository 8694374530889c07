"""Dashboard pages: one module per page, registered by Dash's pages feature at app start.

Layouts are cheap skeletons; every figure and table is filled by callbacks that read the
active analysis run through :mod:`db.queries`.
"""
