"""The one module that talks to fsspec/s3fs: URIs in, bytes and local files out.

Every call goes through faults.call, so callers and Prefect retry policies see Python's own errors
(FileNotFoundError, PermissionError, ConnectionError) and transient faults are retried here.
"""
from __future__ import annotations

import contextlib
import json
import os
import posixpath
import time
from typing import Iterator

from fsspec.core import url_to_fs

from rifeflow.storage import faults, s3_client
from rifeflow.storage.local_files import partial_path, write_local

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".3gp", ".m4v")


def filesystem(uri: str):
    """(fs, path) for a URI; local paths included. Credentials come from the environment; S3 gets
    bounded waits and no hidden retries (s3_client)."""
    if "://" not in uri or uri.split("://", 1)[0] not in ("s3", "s3a"):
        return url_to_fs(uri)
    fs, path = url_to_fs(uri, **s3_client.options())
    s3_client.configure(fs)
    return fs, path


def join(uri: str, *parts: str) -> str:
    if "://" in uri:
        scheme, rest = uri.split("://", 1)
        return f"{scheme}://" + posixpath.join(rest, *parts)
    return os.path.join(uri, *parts)


def relative(root_uri: str, uri: str) -> str:
    fs, root = filesystem(root_uri)
    _, path = filesystem(uri)
    return posixpath.relpath(path, root.rstrip("/"))


def exists(uri: str) -> bool:
    """Asks the store itself, never a listing this process cached (another run may have written since)."""
    fs, path = filesystem(uri)
    if not is_local(uri):
        fs.invalidate_cache(path)
    return faults.call(uri, lambda: fs.exists(path))


def list_videos(root_uri: str) -> list[str]:
    """Every file under `root_uri` (recursively) with a video extension, as full URIs, sorted.

    A prefix that does not exist is an error (a mistyped bucket or folder), not an empty catalog.
    """
    fs, root = filesystem(root_uri)

    def find() -> list[str]:
        if fs.isfile(root):
            return [root]
        if not fs.exists(root):
            bucket = root.split("/", 1)[0]
            if not is_local(root_uri) and not fs.exists(bucket):
                raise FileNotFoundError(f"the bucket {bucket!r} does not exist")
            raise FileNotFoundError("no such folder or prefix")
        return [p for p in fs.find(root) if p.lower().endswith(VIDEO_EXTENSIONS)]

    return sorted(_with_protocol(fs, p) for p in faults.call(root_uri, find))


def links_outside(root_uri: str, uri: str) -> bool:
    """Whether a local file under `root_uri` is a symbolic link (or under one) that leads outside it."""
    if not is_local(uri):
        return False
    _, root = filesystem(root_uri)
    _, path = filesystem(uri)
    real_root = os.path.realpath(root)
    return os.path.commonpath([real_root, os.path.realpath(path)]) != real_root


def _with_protocol(fs, path: str) -> str:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return path if protocol in ("file", "local") else f"{protocol}://{path}"


def read_bytes(uri: str) -> bytes:
    fs, path = filesystem(uri)
    return faults.call(uri, lambda: fs.cat_file(path))


def write_bytes_atomic(uri: str, data: bytes) -> None:
    """Write so that a reader sees the old object or the whole new one, never a part.

    S3 PUTs are atomic by themselves; on a filesystem write a hidden sibling and rename.
    """
    fs, path = filesystem(uri)
    if is_local(uri):
        faults.call(uri, lambda: write_local(path, data))
    else:
        faults.call(uri, lambda: fs.pipe_file(path, data))


def create_exclusive(uri: str, data: bytes) -> bool:
    """Create `uri` only if nothing is there (S3 If-None-Match, a hard link locally): True if this call did."""
    fs, path = filesystem(uri)
    try:
        if is_local(uri):
            faults.call(uri, lambda: write_local(path, data, exclusive=True))
        else:
            faults.call(uri, lambda: fs.pipe_file(path, data, mode="create"))
        return True
    except FileExistsError:
        return False


def read_json(uri: str) -> dict:
    return json.loads(read_bytes(uri))


def write_json_atomic(uri: str, obj) -> None:
    write_bytes_atomic(uri, json.dumps(obj, indent=2, sort_keys=True).encode())


def download(uri: str, local_path: str) -> str:
    fs, path = filesystem(uri)
    faults.call(uri, lambda: fs.get_file(path, local_path))
    return local_path


def upload_atomic(local_path: str, uri: str) -> None:
    """Put a local file at `uri`; on a filesystem through a hidden temporary name and a rename.

    On S3 a large file goes up in parts and appears only when the upload completes.
    """
    fs, path = filesystem(uri)
    if is_local(uri):
        def put() -> None:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            tmp = partial_path(path)
            try:
                fs.put_file(local_path, tmp)
                os.replace(tmp, path)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(tmp)
        faults.call(uri, put)
    else:
        faults.call(uri, lambda: fs.put_file(local_path, path))


def remove(uri: str, recursive: bool = False) -> None:
    fs, path = filesystem(uri)
    with contextlib.suppress(FileNotFoundError):
        faults.call(uri, lambda: fs.rm(path, recursive=recursive))


def listing(uri: str) -> list[tuple[str, float]]:
    """(URI, modification time in epoch seconds) of every file under `uri`, hidden ones included."""
    fs, root = filesystem(uri)

    def find():
        fs.invalidate_cache(root)  # another process may have written since this one last looked
        if not fs.exists(root):
            return {}
        return fs.find(root, detail=True)

    found = faults.call(uri, find)
    out = []
    for path, info in found.items():
        modified = info.get("mtime") or info.get("LastModified") or info.get("created")
        stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified or 0)
        out.append((_with_protocol(fs, path), stamp))
    return sorted(out)


def abort_stale_uploads(uri: str, older_than_s: float, page_size: int = 1000) -> int:
    """Abort multipart uploads under an S3 prefix started more than `older_than_s` ago (a killed upload's
    parts are invisible but kept, and billed, until aborted). Returns how many; 0 on a filesystem."""
    if is_local(uri):
        return 0
    fs, root = filesystem(uri)
    bucket, _, prefix = root.partition("/")
    cutoff = time.time() - older_than_s

    def abort() -> int:
        stale, markers = [], {}
        while True:  # a listing holds at most `page_size` uploads; the markers lead to the next page
            listed = fs.call_s3("list_multipart_uploads", Bucket=bucket, Prefix=prefix, MaxUploads=page_size,
                                **markers)
            stale += [u for u in listed.get("Uploads", []) if u["Initiated"].timestamp() < cutoff]
            if not listed.get("IsTruncated"):
                break
            markers = {"KeyMarker": listed["NextKeyMarker"], "UploadIdMarker": listed["NextUploadIdMarker"]}
        for upload in stale:
            fs.call_s3("abort_multipart_upload", Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        return len(stale)

    return faults.call(uri, abort)


def stat(uri: str):
    """(size, version) of an object: version is the ETag on S3, the mtime on a filesystem."""
    from rifeflow.manifests.records import SourceStat

    fs, path = filesystem(uri)
    info = faults.call(uri, lambda: fs.info(path))
    version = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified") or ""
    return SourceStat(size=int(info.get("size") or 0), version=str(version).strip('"'))


def modified_at(uri: str) -> float:
    """When the object was last written, in epoch seconds, by the store's own clock."""
    fs, path = filesystem(uri)
    info = faults.call(uri, lambda: fs.info(path))
    stamp = info.get("LastModified") or info.get("mtime") or info.get("created") or 0
    return stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)


def is_local(uri: str) -> bool:
    fs, _ = filesystem(uri)
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


@contextlib.contextmanager
def local_copy(uri: str, suffix: str = "") -> Iterator[str]:
    """A local path holding `uri`'s bytes for the duration of the block (the file itself when local)."""
    import tempfile

    if is_local(uri):
        _, path = filesystem(uri)
        if not os.path.exists(path):
            raise FileNotFoundError(f"{uri}: not found")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        local = os.path.join(tmp, "data" + (suffix or os.path.splitext(uri)[1][:16]))
        download(uri, local)
        yield local


def move(src_uri: str, dst_uri: str) -> None:
    """Move within one store: a rename on a filesystem, copy-then-delete on S3 (each step retried alone)."""
    fs, src = filesystem(src_uri)
    _, dst = filesystem(dst_uri)
    if is_local(dst_uri):
        def rename() -> None:
            os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
            os.replace(src, dst)
        faults.call(dst_uri, rename)
    else:
        faults.call(dst_uri, lambda: fs.copy(src, dst))
        remove(src_uri)
