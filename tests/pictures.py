"""Images made for tests with Pillow: small photos, damaged ones, and ones that lie."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

# EXIF tags: the orientation, and the GPS block with a latitude.
ORIENTATION = 0x0112
GPS_IFD = 0x8825
GPS_LATITUDE_REF = 1


def png(width: int = 40, height: int = 30, *, mode: str = "RGB", colour: object = None) -> bytes:
    image = Image.new(mode, (width, height), colour if colour is not None else _colour(mode))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg(
    width: int = 40, height: int = 30, *, gps: bool = False, orientation: int | None = None
) -> bytes:
    """A JPEG, with the place it was taken in its EXIF if `gps`, and the camera's
    orientation if given."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    if gps:
        exif.get_ifd(GPS_IFD)[GPS_LATITUDE_REF] = "N"
    if orientation is not None:
        exif[ORIENTATION] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def claiming(content: bytes, width: int, height: int) -> bytes:
    """A PNG whose header announces another size (a valid chunk checksum included), as a
    decompression bomb's does."""
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    header = b"IHDR" + struct.pack(">II", width, height) + content[24:29]
    chunk = header + struct.pack(">I", zlib.crc32(header) & 0xFFFFFFFF)
    return content[:12] + chunk + content[33:]


def _colour(mode: str) -> object:
    return {"RGB": (30, 90, 160), "RGBA": (30, 90, 160, 128), "L": 128, "I;16": 40000}.get(mode, 1)
