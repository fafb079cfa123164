"""The test-facing surface in one call: inspection API, accounts, number-auth tokens, the template/sign
catalogue, short URLs, clock, live feed, OpenAPI document, inbox.

Registered by `build_app` after the core admin routes and before the `/_emulator/{tail}` catch-all, so every
route here wins over it. `tests/test_admin_openapi.py` checks each registered admin route is documented.
"""

from __future__ import annotations

from aiohttp import web

from emulator.admin.accounts import setup_accounts
from emulator.admin.catalogue import setup_catalogue_admin
from emulator.admin.clock import setup_clock
from emulator.admin.events import setup_events
from emulator.admin.inspect import setup_inspection
from emulator.admin.number_auth import setup_number_auth_admin
from emulator.admin.shorturls import setup_short_urls_admin
from emulator.admin.static import setup_static


def setup_surface(app: web.Application) -> None:
    setup_events(app)
    setup_inspection(app)
    setup_clock(app)
    setup_accounts(app)
    setup_number_auth_admin(app)
    setup_catalogue_admin(app)
    setup_short_urls_admin(app)
    setup_static(app)
