"""The mouth box on real footage, drawn, to check by eye: a contact sheet of frames from the talking heads the
tests use and from harder clips (a small face, a turned head, no face at all).

    .venv/bin/python bench/mouth_sheet.py [--out bench/mouth_sheet.jpg]

Each tile: the frame, every face found (thin), the video's stable mouth box (thick, from its first frames),
and the clip's name with what was found. Needs ../shared/data for the harder clips.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from clips import SHARED  # noqa: E402

from rifeflow.metrics.mouth import Box, find_faces  # noqa: E402
from rifeflow.steps.heldout import find_mouth  # noqa: E402
from rifeflow.video.read import decode_frames, index_frames, probe_video  # noqa: E402

TILE = 260
CLIPS = [  # (clip, what it shows)
    ("tests:talking_head.mp4", "carphone's speaker, 176x144 (the tests' talking head)"),
    ("tests:vfr.mp4", "the same, variable rate"),
    ("shared:WDA_KatieHill_000.mp4", "HDTF talking head 512x512"),
    ("shared:WDA_AlexandriaOcasioCortez_000.mp4", "HDTF talking head 512x512"),
    ("shared:retalking_face_2.mp4", "large face 844x844"),
    ("shared:retalking_face_3.mp4", "face 590x590"),
    ("shared:retalking_face_1.mp4", "head turning, 22 fps"),
    ("shared:nasa_13013.mp4", "small face in the frame 320x180"),
    ("tests:bikes.mp4", "no face (cyclists)"),
    ("tests:bigbuckbunny.mp4", "no human face (animation)"),
]


def clip_path(name: str) -> Path:
    where, file = name.split(":", 1)
    if where == "tests":
        from tests.media import media_dir

        return media_dir() / file
    return SHARED / "videos" / file


def tiles(name: str, label: str, picks: int = 3) -> list[Image.Image]:
    probe = probe_video(str(clip_path(name)))
    wanted = [int(x) for x in np.linspace(0, probe.frames - 1, picks)]
    frames = {i: f for i, f in enumerate(decode_frames(probe, 8, 0, max(wanted) + 1)) if i in wanted}
    _, _, index = index_frames(str(clip_path(name)))
    mouth = find_mouth(str(clip_path(name)), index, 8)  # the box a catalog run uses: frames 0, 12 and 24
    out = []
    for i in wanted:
        image = Image.fromarray(frames[i])
        draw = ImageDraw.Draw(image)
        for face in find_faces(frames[i]):
            draw.rectangle([face.x, face.y, face.x + face.w, face.y + face.h], outline=(80, 200, 255),
                           width=max(1, image.width // 200))
        if mouth.box is not None:
            b = Box(*mouth.box)
            draw.rectangle([b.x, b.y, b.x + b.w, b.y + b.h], outline=(255, 40, 40), width=max(2, image.width // 90))
        image.thumbnail((TILE, TILE))
        tile = Image.new("RGB", (TILE, TILE + 34), (20, 20, 20))
        tile.paste(image, ((TILE - image.width) // 2, 0))
        text = ImageDraw.Draw(tile)
        text.text((4, TILE + 2), f"{Path(name.split(':')[1]).stem[:28]} f{i}", fill=(230, 230, 230))
        status = mouth.reason or f"mouth {Box(*mouth.box).text()}"
        text.text((4, TILE + 17), f"{label[:24]}; {status[:20]}", fill=(255, 160, 160))
        out.append(tile)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "mouth_sheet.jpg"))
    args = parser.parse_args()
    rows = [tiles(name, label) for name, label in CLIPS]
    sheet = Image.new("RGB", (TILE * 3, (TILE + 34) * len(rows)), (0, 0, 0))
    for r, row in enumerate(rows):
        for c, tile in enumerate(row):
            sheet.paste(tile, (c * TILE, r * (TILE + 34)))
    sheet.save(args.out, quality=70)
    print(args.out)


if __name__ == "__main__":
    main()
