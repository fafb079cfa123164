"""`sms-emulator healthcheck`: exit 0 when the emulator answers `/_emulator/health` with status ok.

It is what the image's HEALTHCHECK runs, so it needs nothing but the standard library (no curl in a slim
image) and reads the same settings as the server (`SMS_EMULATOR_HOST`, `_PORT`, `_TLS`, or the same flags):
a container's health is checked with exactly the configuration it was started with. A server listening on
every address (`0.0.0.0`, `::`) is asked on loopback. Over TLS the certificate is not verified: the probe
asks "is this process up and answering?", and the emulator's own freshly made certificate proves nothing
to it.
"""

from __future__ import annotations

import json
import ssl
import sys
import urllib.error
import urllib.request

from emulator.settings import Settings

PATH = "/_emulator/health"


def probe_url(settings: Settings) -> str:
    host = settings.host
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if settings.main_tls else "http"
    return f"{scheme}://{host}:{settings.port}{PATH}"


def check(settings: Settings, timeout: float = 3.0) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    url = probe_url(settings)
    context = ssl._create_unverified_context() if url.startswith("https") else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:
            body = json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return False, f"unhealthy: {url} answered HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"unhealthy: {url}: {reason}"
    if not isinstance(body, dict) or body.get("status") != "ok":
        return False, f"unhealthy: {url} answered {str(body)[:200]}"
    return True, f"healthy: {url} (version {body.get('version')}, up {body.get('uptime')} s)"


def run(settings: Settings, timeout: float = 3.0) -> int:
    healthy, line = check(settings, timeout)
    print(line, file=sys.stdout if healthy else sys.stderr, flush=True)
    return 0 if healthy else 1
