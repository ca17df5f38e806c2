"""Credentials written into a URI, a secret with `/` in it included (about half of AWS's are), are found,
refused where a URI is recorded, moved out by the command line, and masked in every text."""
from __future__ import annotations

import logging

import pytest

from rifeflow.manifests.uris import has_credentials, split_credentials
from rifeflow.storage.secrets import RedactingFilter, redact, take_credentials

KEY, SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
URI = f"s3://{KEY}:{SECRET}@renders/in"


def test_a_secret_with_a_slash_is_found_and_taken_out():
    assert split_credentials(URI) == ("s3://renders/in", KEY, SECRET)
    assert has_credentials(URI) and has_credentials("s3://token@bucket/p")
    assert not has_credentials("s3://bucket/a:b@c/x") and not has_credentials("/data/in@2x")
    assert split_credentials("s3://k:se%2Fcret@b/p") == ("s3://b/p", "k", "se/cret")


def test_it_is_masked_in_text_and_logs_once_taken():
    assert SECRET not in redact(f"failed: {URI}/a.mp4") and KEY not in redact(f"failed: {URI}/a.mp4")
    take_credentials(URI)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "secret %s here", (SECRET,), None)
    RedactingFilter().filter(record)
    assert SECRET not in record.getMessage()


def test_has_credentials_changes_nothing():
    from rifeflow.storage import secrets

    before = set(secrets._EXTRA)
    has_credentials("s3://NEWKEY:NEW/SECRET@b/p")
    assert set(secrets._EXTRA) == before


@pytest.mark.parametrize("field", ["source_uri", "dest_uri", "weights", "scheduler"])
def test_every_url_field_of_the_run_refuses_credentials_without_echoing_them(field):
    from pydantic import ValidationError

    from rifeflow.manifests.config import CatalogConfig

    values = {"source_uri": "s3://b/in", "dest_uri": "s3://b/out", field: URI}
    with pytest.raises(ValidationError) as info:
        CatalogConfig(**values)
    assert "carries credentials" in str(info.value) and SECRET not in str(info.value)


def test_the_api_refuses_weights_with_credentials(tmp_path):
    from rifeflow.api import interpolate_images
    from rifeflow.errors import OptionError

    with pytest.raises(OptionError, match="weights carries credentials") as info:
        interpolate_images(str(tmp_path / "a.png"), str(tmp_path / "b.png"), weights=URI)
    assert SECRET not in str(info.value)
