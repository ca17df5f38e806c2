"""Which Prefect API a run reports to, as Prefect's own settings resolve it.

Prefect reads PREFECT_API_URL (and PREFECT_API_KEY, which `prefect cloud login` stores) from the
environment, a `.env` file, `prefect.toml`, `pyproject.toml`'s `[tool.prefect]` and the active
profile in `profiles.toml`. Importing Prefect's settings costs about as much as importing Prefect,
which `rifeflow run` overlaps with booting a temporary server; so the files are first looked at
cheaply, and Prefect is asked only when one of them could name an API.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PrefectApi:
    url: str
    key: str | None


def _profiles_path() -> Path:
    home = os.environ.get("PREFECT_HOME")
    return (Path(home) if home else Path.home() / ".prefect") / "profiles.toml"


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace") if path.is_file() else ""
    except OSError:
        return ""


def could_name_an_api() -> bool:
    """True when any of Prefect's settings sources might set the API URL (never False when one does)."""
    if any(os.environ.get(name) for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH")):
        return True
    if "PREFECT_" in _read(Path(".env")) or Path("prefect.toml").is_file():
        return True
    if "tool.prefect" in _read(Path("pyproject.toml")):
        return True
    return "PREFECT_API_URL" in _read(_profiles_path())


def configured_api() -> PrefectApi | None:
    """The API Prefect's settings name, or None when Prefect would start its own ephemeral server."""
    if not could_name_an_api():
        return None
    from prefect.settings import Settings

    api = Settings().api  # read from the sources now, not as they were when Prefect was imported
    if not api.url:
        return None
    key = api.key.get_secret_value() if api.key is not None else None
    return PrefectApi(url=api.url, key=key)
