"""Log output: readable lines for a terminal (the default), or one JSON object per line for collectors.

`--log-format json` (`SMS_EMULATOR_LOG_FORMAT=json`) turns every record, aiohttp's own included, into a JSON
object on stdout (where container runtimes collect logs), with the fields a log pipeline filters on as keys:
request lines carry `provider`, `action`, `phone`, `outcome`, `request_id` and `latency_ms`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import Any

FORMATS = ("text", "json")
#: Attributes every LogRecord has; anything else on a record came in through `extra=` and is a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
#: Lone surrogates: what aiohttp makes of client bytes that are not UTF-8 (surrogateescape), or a `\ud800` escape
#: in a client's JSON. They have no UTF-8 form, so a line carrying one would not be valid UTF-8 JSON.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    """`\\xff` for a byte that was not UTF-8, `\\ud800` otherwise: the bytes stay visible, as escaped text."""
    point = ord(match.group())
    # Two backslashes in the JSON text: one escaped backslash, then plain `x..` (`\x` is no JSON escape).
    return f"\\\\x{point - 0xDC00:02x}" if 0xDC80 <= point <= 0xDCFF else f"\\\\u{point:04x}"


def utf8_safe(line: str) -> str:
    """`line` (JSON text, where a surrogate can only be inside a string) with every lone surrogate escaped."""
    return line if line.isascii() else _SURROGATE.sub(_escape_surrogate, line)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return utf8_safe(json.dumps(data, ensure_ascii=False, default=str))


def configure(level: str = "info", log_format: str = "text", quiet: bool = False) -> None:
    """Replace the root logger's handlers; `quiet` keeps warnings and errors only (no request lines)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r}: expected one of {', '.join(FORMATS)}")
    numeric = logging.WARNING if quiet else getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        raise ValueError(f"log level {level!r}: expected debug, info, warning or error")
    if log_format == "json":
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)


def emit_json(event: str, **fields: Any) -> None:
    """A JSON line of the emulator's own (start-up banner, shutdown) in the same shape as the log records."""
    data = {"time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "level": "info",
            "logger": "sms_emulator", "msg": event, "event": event, **fields}
    print(json.dumps(data, ensure_ascii=False, default=str), flush=True)
