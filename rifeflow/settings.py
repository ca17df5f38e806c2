"""Every RIFEFLOW_* environment variable: read and checked here, and only here, when a run asks for them
(never while a module is imported). A bad value is refused in one line that names the variable.

Prefect's own settings (PREFECT_*), the AWS ones and Dask's are theirs: rifeflow reads them through
those libraries, and the docs list the ones that matter (docs/operations.md).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Optional

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rifeflow.errors import RifeflowError

PREFIX = "RIFEFLOW_"


class SettingsError(RifeflowError, ValueError):
    """An environment variable with a value rifeflow cannot use."""


class Settings(BaseSettings):
    """rifeflow's environment variables (the name is the field's, upper-cased, after RIFEFLOW_)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", env_ignore_empty=True,
                                      hide_input_in_errors=True)

    run_timeout_s: Optional[float] = Field(
        None, gt=0, json_schema_extra={"needs": "a positive number of seconds"},
        description="seconds after which a catalog run stops: no more videos start, those in flight "
                                "stop, and the run ends TimedOut (what finished is kept; the next run resumes); "
                                "prefect.yaml sets 72000 for the nightly deployment. Unset: no limit")
    storage_timeout_s: float = Field(
        30.0, gt=0, json_schema_extra={"needs": "a positive number of seconds"},
        description="seconds a storage call waits for a connection, or for the next bytes of an "
                                "answer, before it counts as unreachable")
    storage_retries: int = Field(
        5, ge=0, le=5, json_schema_extra={"needs": "a whole number from 0 to 5"},
        description="retries of a storage call that could not reach its store or was throttled "
                                   "(backoff 1, 2, 4, 8, 16 s, jittered); 0 fails at once")
    cache: Optional[Path] = Field(
        None, json_schema_extra={"needs": "a folder"}, description="where fetched weights (and the tests' media) are kept; default "
                          "$XDG_CACHE_HOME/rifeflow, else ~/.cache/rifeflow")
    source_uri: Optional[str] = Field(
        None, json_schema_extra={"needs": "a URI"}, description="prefect.yaml: the bucket prefix `prefect deploy` writes into the nightly "
                          "deployment's parameters (source_uri)")
    dest_uri: Optional[str] = Field(
        None, json_schema_extra={"needs": "a URI"}, description="the destination `prefect deploy` writes into the nightly deployment's "
                          "parameters (dest_uri), and the quality notebook's default dataset")

    def cache_root(self) -> Path:
        if self.cache is not None:
            return self.cache
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rifeflow"


def settings() -> Settings:
    """The settings as the environment has them now (parsed once per distinct set of RIFEFLOW_* values)."""
    return _parse(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX))))


@functools.lru_cache(maxsize=16)
def _parse(items: tuple[tuple[str, str], ...]) -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        name = PREFIX + field.upper()
        needs = Settings.model_fields[field].json_schema_extra["needs"]
        raise SettingsError(f"{name}={dict(items).get(name, '')!r}: must be {needs} "
                            f"({error['msg'].removeprefix('Value error, ').lower()})") from None


def table() -> str:
    """A markdown table of the variables, for the docs."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = "unset" if field.default is None else f"`{field.default}`"
        lines.append(f"| `{PREFIX}{name.upper()}` | {default} | {field.description} |")
    return "\n".join(lines)
