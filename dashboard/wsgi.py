"""WSGI entry point for running under an external server:
``gunicorn --workers 4 --bind 0.0.0.0:8050 dashboard.wsgi:server`` (settings from the environment).
"""

from dashboard.app import create_app

server = create_app().server
