"""Command-line options generated from the options model (rifeflow.manifests.options) and the
catalog's config, so each option's name, type, default, help and allowed values are stated once.
"""
from __future__ import annotations

import argparse
import types
import typing

from pydantic import BaseModel

FLAGS = {"chunk_timeout_s": "--chunk-timeout", "task_timeout_s": "--task-timeout",
         "lease_wait_s": "--lease-wait"}  # flags that do not spell their field


def default_text(value) -> str:
    if isinstance(value, bool):
        return "(default: on)" if value else "(default: off)"
    return f"(default {value})"


def _value_type(annotation):
    """int, float, str or bool, with Optional taken off."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return annotation


def add_field_options(parser, model: type[BaseModel], names, *, unset: bool = False,
                      defaults: dict | None = None) -> None:
    """An option for each of `model`'s fields in `names`.

    unset False: the option's default is the field's (or `defaults[name]`), and the help
    formatter shows it. unset True: an option not given stays None, so the model's own default
    applies when it is built; the help states that default.
    """
    for name in names:
        field = model.model_fields[name]
        default = (defaults or {}).get(name, field.default)
        kind = _value_type(field.annotation)
        text = field.description or name.replace("_", " ")
        kwargs: dict = {"dest": name}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction if default else "store_true"
        else:
            kwargs["type"] = kind
            enum = (field.json_schema_extra or {}).get("enum")
            if enum:
                kwargs["choices"] = enum
        if unset:
            kwargs["default"] = None
            if default is not None and "default" not in text:
                text = f"{text} {default_text(default)}"
        else:
            kwargs["default"] = default
        parser.add_argument(FLAGS.get(name, "--" + name.replace("_", "-")), help=text, **kwargs)


def add_rate_options(parser: argparse.ArgumentParser) -> None:
    """--exp or --fps, not both; unset, so the API or the catalog's config decides."""
    from rifeflow.manifests.options import InterpolationChoices

    add_field_options(parser.add_mutually_exclusive_group(), InterpolationChoices, ["exp", "fps"], unset=True)


def add_model_options(parser: argparse.ArgumentParser, *, unset: bool = False, defaults: dict | None = None) -> None:
    """The model's choices (scene threshold, model, scale, TTA, mode, fp16) and own weights."""
    from rifeflow.manifests.config import CatalogConfig
    from rifeflow.manifests.options import InterpolationChoices

    names = [n for n in InterpolationChoices.model_fields if n not in ("exp", "fps")]
    add_field_options(parser, InterpolationChoices, names, unset=unset, defaults=defaults)
    add_field_options(parser, CatalogConfig, ["weights"], unset=unset)
