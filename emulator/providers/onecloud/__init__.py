"""sms.1oc.cn: a one-endpoint GET gateway authenticated by a bare AppSecret, with delivery reports to `returnurl`."""

from __future__ import annotations

from emulator.core.backend import Backend
from emulator.providers.onecloud import reports
from emulator.providers.onecloud.gateway import HOST, OneCloudGateway

__all__ = ["HOST", "OneCloudGateway", "build"]


def build(backend: Backend) -> OneCloudGateway:
    """The gateway, with its delivery reports wired to the backend's delivery hooks."""
    reports.install(backend)
    return OneCloudGateway(backend)
