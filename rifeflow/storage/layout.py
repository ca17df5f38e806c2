"""Where everything lives under DEST_URI. Only this module knows the layout."""
from __future__ import annotations

import posixpath
import unicodedata
import uuid
from datetime import date

from rifeflow.errors import VideoError
from rifeflow.manifests.codecs import DEFAULT_CODEC, output_extension
from rifeflow.storage import store

WORK_DIR = ".rifeflow"
OUTPUT_CONTAINERS = (".mp4", ".mov", ".mkv")


MAX_KEY_BYTES = 1024  # S3's limit on a whole key
MAX_NAME_BYTES = 255  # a file name on every common filesystem


def _relative_key(source_root: str, source_uri: str) -> str:
    """The source's path below the root, taken literally (never normalised: `a/../b` stays visible)."""
    _, root = store.filesystem(source_root)
    _, path = store.filesystem(source_uri)
    root = root.rstrip("/")
    if path == root:
        return posixpath.basename(path)
    if not path.startswith(root + "/"):
        raise VideoError(printable(source_uri), f"not under {printable(source_root)}")
    return path[len(root) + 1:]


# Characters that end a line for some readers (NEL, LINE/PARAGRAPH SEPARATOR) or reorder what is shown
# (bidirectional embeddings, overrides and isolates): in a name they forge log lines and spoof names.
LINE_BREAKING = {"\u0085": "NEL", "\u2028": "LINE SEPARATOR", "\u2029": "PARAGRAPH SEPARATOR"}
BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def _control(c: str) -> bool:
    return ord(c) < 32 or 127 <= ord(c) < 160


def _hostile(c: str) -> bool:
    return _control(c) or c in LINE_BREAKING or c in BIDI_CONTROLS


def unsafe_reason(rel: str) -> str | None:
    """Why a relative key cannot name an output safely, or None."""
    if rel.startswith("/") or "//" in rel:
        return "empty path segment (leading or doubled '/')"
    segments = rel.split("/")
    if any(seg in (".", "..") for seg in segments):
        return "'.' or '..' path segment (it could point outside DEST)"
    if any(map(_control, rel)):
        return "control character (newline, tab, ...) in the name"
    if any(c in LINE_BREAKING for c in rel):
        return "line-breaking character (NEL, U+2028 or U+2029) in the name"
    if any(c in BIDI_CONTROLS for c in rel):
        return "bidirectional-text control character (U+202A-202E, U+2066-2069) in the name: it changes how names show"
    if segments[0] == WORK_DIR or WORK_DIR in segments:
        return f"inside a {WORK_DIR}/ folder (rifeflow's own work files)"
    if "\\" in rel:
        return "backslash in the name"
    if any(len(seg.encode()) > MAX_NAME_BYTES - 40 for seg in segments):
        return f"a path segment longer than {MAX_NAME_BYTES - 40} bytes"
    return None


def printable(uri: str) -> str:
    """A URI safe to put on one line of a log or summary: control, line-breaking and bidirectional
    characters escaped (\\n, \\x85, \\u202e)."""
    return "".join(c.encode("unicode_escape").decode() if _hostile(c) else c for c in str(uri))


def output_uri(source_root: str, dest_uri: str, source_uri: str, codec: str = DEFAULT_CODEC) -> str:
    """Same relative path under DEST, in the source's container when it holds the codec, else the codec's own
    (.webm and .avi become .mp4 for H.264, anything becomes .mkv for ffv1 and .mov for ProRes).

    Raises VideoError for a key that cannot name an output safely (see `unsafe_reason`).
    """
    rel = _relative_key(source_root, source_uri)
    reason = unsafe_reason(rel)
    if reason:
        raise VideoError(printable(source_uri), f"refused: {reason}")
    stem, ext = posixpath.splitext(rel)
    uri = store.join(dest_uri, stem + output_extension(codec, ext if ext.lower() in OUTPUT_CONTAINERS else ".mp4"))
    if len(store.filesystem(uri)[1].encode()) > MAX_KEY_BYTES - 64:
        raise VideoError(printable(source_uri), f"refused: its output key would exceed {MAX_KEY_BYTES - 64} bytes")
    return uri


def plan_outputs(source_root: str, dest_uri: str, sources: list[str],
                 codec: str = DEFAULT_CODEC) -> tuple[dict[str, str], dict[str, str]]:
    """({source: output} for the sources that get one, {source: reason} for those refused).

    Two sources that would write one output (x.avi and x.mp4 both make x.mp4) never overwrite
    each other: the one already in the output's container keeps the name (else the first in
    order), the others are refused, naming the source that has it.
    """
    outputs, refused = {}, {}
    for uri in sources:
        try:
            out = output_uri(source_root, dest_uri, uri, codec)
            if store.links_outside(source_root, uri):
                raise VideoError(uri, "refused: a symbolic link to a file outside SOURCE_URI")
            outputs[uri] = out
        except VideoError as exc:
            refused[uri] = exc.reason
    by_output: dict[str, list[str]] = {}
    for uri, out in outputs.items():  # names one file on a case-insensitive or normalising disk collide too
        by_output.setdefault(unicodedata.normalize("NFC", out).casefold(), []).append(uri)
    for claimants in by_output.values():
        if len(claimants) < 2:
            continue
        same_ext = [u for u in claimants if posixpath.splitext(u)[1] == posixpath.splitext(outputs[u])[1]]
        keeper = (same_ext or sorted(claimants))[0]
        for uri in claimants:
            if uri != keeper:
                out = outputs.pop(uri)
                refused[uri] = (f"refused: its output {printable(out)} is also the output of "
                                f"{printable(keeper)} (names that differ only in case or Unicode form are one file "
                                "on many disks); rename one of them")
    return outputs, refused


def manifest_uri(dest_uri: str, video_key: str) -> str:
    return store.join(dest_uri, WORK_DIR, "manifests", f"{video_key}.json")


def segment_uri(dest_uri: str, key: str, ext: str) -> str:
    """Where an encoded segment of an output is kept until the output is published (and after, for reuse)."""
    return store.join(dest_uri, WORK_DIR, "segments", key[:2], f"{key}{ext}")


def chunk_result_uri(chunk_output_uri: str) -> str:
    """Where a chunk's result record is stored, beside its output."""
    return chunk_output_uri.rsplit(".", 1)[0] + ".json"


def staging_dir(dest_uri: str, output_uri: str) -> str:
    """Where an output is uploaded before it is moved into place; only the output's lease holder writes here."""
    from rifeflow.manifests.planning import content_key

    return store.join(dest_uri, WORK_DIR, "staging", content_key("staging", output_uri))


def staging_uri(dest_uri: str, output_uri: str, suffix: str) -> str:
    return store.join(staging_dir(dest_uri, output_uri), f"{uuid.uuid4().hex}{suffix}")


def metrics_root(dest_uri: str) -> str:
    return store.join(dest_uri, "metrics")


def metrics_file_uri(dest_uri: str, run_date: date, name: str) -> str:
    return store.join(metrics_root(dest_uri), f"run_date={run_date.isoformat()}", f"part-{name}.parquet")


def is_work_path(dest_uri: str, uri: str) -> bool:
    """Files rifeflow itself wrote: under this DEST, or in any rifeflow work folder (never catalog input)."""
    _, dest = store.filesystem(dest_uri)
    _, path = store.filesystem(uri)
    return path.startswith(dest.rstrip("/") + "/") or f"/{WORK_DIR}/" in path


def check_roots(source_uri: str, dest_uri: str) -> None:
    """Refuse a DEST inside SOURCE or a SOURCE inside DEST (or the two the same): outputs and work files
    would become sources, run after run."""
    from rifeflow.errors import OptionError

    source, dest = (_root_key(uri) for uri in (source_uri, dest_uri))
    if source == dest or dest.startswith(source + "/") or source.startswith(dest + "/"):
        inside = "DEST_URI is SOURCE_URI" if source == dest else (
            "DEST_URI is inside SOURCE_URI" if dest.startswith(source + "/") else "SOURCE_URI is inside DEST_URI")
        raise OptionError(f"{inside} ({printable(source_uri)}, {printable(dest_uri)}): outputs and rifeflow's work "
                          "files would be listed as videos; choose folders or prefixes apart")


def _root_key(uri: str) -> str:
    import os

    fs, path = store.filesystem(uri)
    if store.is_local(uri):
        path = os.path.realpath(path)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path.rstrip('/')}"
