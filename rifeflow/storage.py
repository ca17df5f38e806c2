"""The one module that talks to fsspec/s3fs: URIs in, bytes and local files out.

Storage errors become Python's own (FileNotFoundError, PermissionError,
ConnectionError) here, so callers and Prefect retry policies see one vocabulary.
"""
from __future__ import annotations

import contextlib
import json
import os
import posixpath
import uuid
from typing import Iterator

import fsspec
from fsspec.core import url_to_fs

VIDEO_EXTENSIONS = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".3gp", ".m4v")


@contextlib.contextmanager
def translate_errors(uri: str) -> Iterator[None]:
    try:
        yield
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except OSError as exc:
        if exc.errno is not None:  # a local condition (disk full, ...): keep it as it is
            raise
        raise ConnectionError(f"storage error on {uri}: {exc}") from exc
    except Exception as exc:  # botocore / aiohttp errors surface as their own types
        name = type(exc).__name__
        if "NoSuchKey" in name or "NoSuchBucket" in name:
            raise FileNotFoundError(f"{uri}: {exc}") from exc
        if "AccessDenied" in name or "Forbidden" in str(exc):
            raise PermissionError(f"{uri}: {exc}") from exc
        if any(word in name for word in ("Connect", "Timeout", "ClientError", "Endpoint")):
            raise ConnectionError(f"storage error on {uri}: {exc}") from exc
        raise


def filesystem(uri: str):
    """(fs, path) for a URI; local paths included. Credentials come from the environment."""
    return url_to_fs(uri)


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
    fs, path = filesystem(uri)
    with translate_errors(uri):
        return fs.exists(path)


def list_videos(root_uri: str) -> list[str]:
    """Every file under `root_uri` (recursively) with a video extension, as full URIs, sorted."""
    fs, root = filesystem(root_uri)
    with translate_errors(root_uri):
        if fs.isfile(root):
            paths = [root]
        else:
            paths = [p for p in fs.find(root) if p.lower().endswith(VIDEO_EXTENSIONS)]
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    prefix = "" if protocol in ("file", "local") else f"{protocol}://"
    return sorted(prefix + p for p in paths)


def read_bytes(uri: str) -> bytes:
    fs, path = filesystem(uri)
    with translate_errors(uri):
        return fs.cat_file(path)


def write_bytes_atomic(uri: str, data: bytes) -> None:
    """Write so that a reader sees the old object or the whole new one, never a part.

    S3 PUTs are atomic by themselves; on a filesystem write a sibling and rename.
    """
    fs, path = filesystem(uri)
    with translate_errors(uri):
        if is_local(uri):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            tmp = f"{path}.{uuid.uuid4().hex}.partial"
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        else:
            fs.pipe_file(path, data)


def read_json(uri: str) -> dict:
    return json.loads(read_bytes(uri))


def write_json_atomic(uri: str, obj) -> None:
    write_bytes_atomic(uri, json.dumps(obj, indent=2, sort_keys=True).encode())


def download(uri: str, local_path: str) -> str:
    fs, path = filesystem(uri)
    with translate_errors(uri):
        fs.get_file(path, local_path)
    return local_path


def upload_atomic(local_path: str, uri: str) -> None:
    """Put a local file at `uri`; on a filesystem through a temporary name and a rename."""
    fs, path = filesystem(uri)
    with translate_errors(uri):
        if is_local(uri):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            tmp = f"{path}.{uuid.uuid4().hex}.partial"
            fs.put_file(local_path, tmp)
            os.replace(tmp, path)
        else:
            fs.put_file(local_path, path)


def remove(uri: str, recursive: bool = False) -> None:
    fs, path = filesystem(uri)
    with translate_errors(uri), contextlib.suppress(FileNotFoundError):
        fs.rm(path, recursive=recursive)


def open_uri(uri: str, mode: str = "rb"):
    return fsspec.open(uri, mode)


def stat(uri: str):
    """(size, version) of an object: version is the ETag on S3, the mtime on a filesystem."""
    from manifests.records import SourceStat

    fs, path = filesystem(uri)
    with translate_errors(uri):
        info = fs.info(path)
    version = info.get("ETag") or info.get("etag") or info.get("mtime") or info.get("LastModified") or ""
    return SourceStat(size=int(info.get("size") or 0), version=str(version).strip('"'))


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
            raise FileNotFoundError(f"{uri} does not exist")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="rifeflow-") as tmp:
        local = os.path.join(tmp, "data" + (suffix or os.path.splitext(uri)[1]))
        download(uri, local)
        yield local


def move(src_uri: str, dst_uri: str) -> None:
    """Move within one store: a rename on a filesystem, copy-then-delete on S3."""
    fs, src = filesystem(src_uri)
    _, dst = filesystem(dst_uri)
    with translate_errors(dst_uri):
        if is_local(dst_uri):
            os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
            os.replace(src, dst)
        else:
            fs.mv(src, dst)
