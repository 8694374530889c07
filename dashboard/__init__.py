"""StreamFlix customer engagement dashboard: the app and its entry points.

Imports: the root holds only entry points and the app (``__main__``, ``app``, ``config``,
``wsgi``, ``ids``, ``shell`` — the page frame). It may import any room below except
``analytics`` (the app never computes; it reads stored results). The rooms and their rules
are in each folder's ``__init__.py`` and in README, "Architecture"; tests/unit/test_layers.py
holds them.
"""
