"""Pure analytics: pandas, numpy, scipy and scikit-learn only.

Features, rule segments, RFM, clusters, discounts, messaging defaults, the filter cube, and
the statistics of campaign measurement. No I/O, explicit ``random_state``, docstrings that
state the business rule and its boundaries.

Imports: only ``dashboard.analytics`` and the numeric libraries; never ``db``, SQLAlchemy,
Dash, Flask or Plotly.
"""
