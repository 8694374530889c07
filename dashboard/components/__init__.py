"""Pure builders: frames and values in, Dash components, figures and CSV text out.

Imports: Dash, Plotly, pandas, other components, analytics constants (segment orders and
rules), ``dashboard.ids``, filter types (``db.filters``) and column names (``db.columns``).
Never SQLAlchemy, a query, a service or Flask: everything here is testable without a
database or a browser.
"""
