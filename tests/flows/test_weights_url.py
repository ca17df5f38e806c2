"""Users' own weights from an fsspec URL: fetched from a real S3 server, loaded strictly."""
from __future__ import annotations

import pytest
import torch

from rifeflow.engine.weights import WeightsError, build_model, resolve_weights

pytestmark = pytest.mark.slow  # a catalog run


def test_weights_from_s3_url(bucket, s3fs_clean, tmp_path, monkeypatch):
    monkeypatch.setenv("RIFEFLOW_CACHE", str(tmp_path / "cache"))
    release = resolve_weights("rife-hdv3")
    s3fs_clean.put_file(str(release.path), f"{bucket}/models/flownet.pkl")
    resolved = resolve_weights("rife-hdv3", f"s3://{bucket}/models/flownet.pkl")
    assert resolved.sha256 == release.sha256 and resolved.path.is_relative_to(tmp_path / "cache")
    mine, theirs = build_model(resolved).state_dict(), build_model(release).state_dict()
    assert mine.keys() == theirs.keys() and all(torch.equal(mine[k], theirs[k]) for k in mine)
    with pytest.raises(FileNotFoundError):
        resolve_weights("rife-hdv3", f"s3://{bucket}/models/missing.pkl")
    with pytest.raises(WeightsError, match="do not fit"):
        s3fs_clean.put_file(str(resolve_weights("rife-4.25").path), f"{bucket}/models/other.pkl")
        build_model(resolve_weights("rife-hdv3", f"s3://{bucket}/models/other.pkl"))
