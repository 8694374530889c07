"""WSGI entry point for running under an external server:
``gunicorn --workers 4 --bind 0.0.0.0:8050 dashboard.wsgi:server`` (settings from the environment).

An external server is for the team, so sign-in is always on here and the SECRET_KEY must be
strong, exactly as ``serve`` demands beyond loopback.
"""

from dataclasses import replace

from dashboard.app import create_app
from dashboard.config import load_settings
from dashboard.web.server import check_secret_key

settings = replace(load_settings(), auth_required=True)
check_secret_key(settings.secret_key, "through dashboard.wsgi")
server = create_app(settings).server
