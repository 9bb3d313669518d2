"""No secret reaches a log line: API tokens, session secrets and ``?token=`` values are
replaced by ``[redacted]`` in every record the server's loggers write (uvicorn's access log
included, which would otherwise print each sign-in link whole)."""

from __future__ import annotations

import logging
import re
from typing import Any

REDACTED = "[redacted]"
_SECRETS = (
    # ?token=…, &access_token=… in a URL or a query string
    (re.compile(r"(?i)\b((?:access_)?token=)[^&\s\"';]+"), r"\g<1>" + REDACTED),
    # an API token or a session secret anywhere (cg_…, cgs_…)
    (re.compile(r"\bcgs?_[A-Za-z0-9_\-]{16,}"), REDACTED),
    # an Authorization header's value
    (re.compile(r"(?i)\b(bearer\s+)[^\s\"',]+"), r"\g<1>" + REDACTED),
)
# The loggers a server writes through; their handlers get the filter too, so records that
# propagate from other loggers are scrubbed on the way out.
SERVER_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "commonground")


def scrub(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _scrubbed(value: Any) -> Any:
    return scrub(value) if isinstance(value, str) else value


class ScrubSecrets(logging.Filter):
    """Rewrite a record's message and its string arguments (uvicorn's access formatter
    reads the arguments one by one, so they are kept as a tuple of the same length)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrubbed(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _scrubbed(v) for k, v in record.args.items()}
        return True


_FILTER = ScrubSecrets()


def install() -> None:
    """Scrub what the server's loggers and their handlers write (idempotent)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
        for handler in logger.handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the scrubbing filter on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = {
        **LOGGING_CONFIG,
        "filters": {"scrub_secrets": {"()": ScrubSecrets}},
        "handlers": {
            name: {**handler, "filters": ["scrub_secrets"]}
            for name, handler in LOGGING_CONFIG["handlers"].items()
        },
    }
    return config
