"""Local files written whole or not at all: on disks without hard links, and under the longest names a key
may have, on the real filesystem."""
from __future__ import annotations

import errno
import os

import pytest

from rifeflow.storage import layout, store
from rifeflow.storage.local_files import partial_path, partial_writer


def test_a_disk_without_hard_links_still_gets_exclusive_creates(tmp_path, monkeypatch):
    def no_links(src, dst):  # what exFAT, SMB and gcsfuse answer
        raise PermissionError(errno.EPERM, "Operation not permitted", dst)

    monkeypatch.setattr(os, "link", no_links)
    target = str(tmp_path / "leases" / "0000000001.json")
    assert store.create_exclusive(target, b"first") is True
    assert store.create_exclusive(target, b"second") is False  # not "check the credentials"
    assert open(target, "rb").read() == b"first"
    assert [p for p in os.listdir(tmp_path / "leases") if p.endswith(".partial")] == []


def test_the_longest_names_a_key_may_have_write_and_rename(tmp_path):
    longest = "n" * (layout.MAX_NAME_BYTES - 40 - 4) + ".mp4"  # 215 bytes: what unsafe_reason lets through
    assert layout.unsafe_reason(longest) is None
    partial = os.path.basename(partial_path(str(tmp_path / longest)))
    assert len(partial.encode()) <= 255 and partial_writer(partial) is not None
    store.write_bytes_atomic(str(tmp_path / longest), b"video")
    source = tmp_path / "src.bin"
    source.write_bytes(b"segment")
    store.upload_atomic(str(source), str(tmp_path / "sub" / longest))
    assert (tmp_path / longest).read_bytes() == b"video" and (tmp_path / "sub" / longest).read_bytes() == b"segment"
    from rifeflow.video.write import partial_name

    assert len(os.path.basename(partial_name(str(tmp_path / longest))).encode()) <= 255


def test_every_page_of_stale_multipart_uploads_is_aborted(s3_endpoint, bucket, s3fs_clean):
    import boto3

    s3 = boto3.client("s3")
    for i in range(5):
        s3.create_multipart_upload(Bucket=bucket, Key=f"out/.rifeflow/segments/{i}.mp4")
    assert store.abort_stale_uploads(f"s3://{bucket}/out", older_than_s=-60, page_size=2) == 5
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.mark.parametrize("error", [errno.ENOSPC])
def test_a_full_disk_keeps_its_errno(tmp_path, error):
    from rifeflow.errors import error_category, error_kind, media_error

    exc = media_error("/scratch/out.mp4", OSError(error, "No space left on device"), "audio stream 0 cannot be copied")
    assert isinstance(exc, OSError) and exc.errno == error and "out.mp4" in str(exc)
    assert error_category(exc) == "scratch_full" and error_kind(exc) == "transient"
