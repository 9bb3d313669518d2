"""No token reaches a log line: the filter the app installs and `commonground serve`
configures, on uvicorn's own access-log records."""

from __future__ import annotations

import logging

from api import logs
from api.app import create_app
from schema.settings import Settings

TOKEN = "cg_Zk3vT0p-SecretTokenValue_0123456789abcdef"
SESSION = "cgs_AnotherSecretSessionValue_0123456789"


def _access_record() -> logging.LogRecord:
    # What uvicorn's access logger emits: the path is one of the arguments.
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/workshop?token={TOKEN}&x=1", "1.1", 200),
        None,
    )


def test_the_scrub_filter_redacts_tokens_sessions_and_bearer_values() -> None:
    record = _access_record()
    assert logs.ScrubSecrets().filter(record)
    line = record.getMessage()
    assert TOKEN not in line and "/workshop?token=[redacted]&x=1" in line
    assert len(record.args or ()) == 5  # uvicorn's formatter unpacks five arguments
    assert logs.scrub(f"Authorization: Bearer {TOKEN}") == "Authorization: Bearer [redacted]"
    assert SESSION not in logs.scrub(f"cookie {SESSION} seen")


def test_the_serve_log_config_and_the_app_scrub_the_access_log() -> None:
    config = logs.uvicorn_log_config()
    assert config["filters"]["scrub_secrets"]["()"] is logs.ScrubSecrets
    assert all(h["filters"] == ["scrub_secrets"] for h in config["handlers"].values())
    create_app(Settings(_env_file=None))
    record = _access_record()
    logging.getLogger("uvicorn.access").handle(record)  # the app's filter sits on the logger
    assert TOKEN not in record.getMessage()
