"""The base of every record: frozen, and strict about its fields (a typo is an error, not a silent default)."""
from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
