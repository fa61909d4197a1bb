"""Reading photos with Pillow, in a worker thread: decoding is CPU work the event loop
must not wait for.

A photo is decoded whole before it is taken, so a file cut short or damaged is refused
when it is sent, not found broken years later. Only the decoder of the format its first
bytes announced is tried, and the pixel count its header announces is checked before
anything is decoded (a small file can unpack into gigabytes: a decompression bomb). The
thumbnail is made from the pixels alone: no EXIF (GPS position, camera, time), XMP, ICC
profile or text chunk of the original reaches it. The original itself is never touched.
"""

from __future__ import annotations

import io
import struct
import warnings
from typing import Final

import anyio
from PIL import Image, ImageOps

from service.domain.errors import InvalidValue
from service.domain.photos import InspectedImage, PhotoMediaType, PhotoRules, thumbnail_size

_FORMATS: Final = {PhotoMediaType.JPEG: "JPEG", PhotoMediaType.PNG: "PNG"}
# What Pillow raises on data it cannot decode: a damaged or truncated file.
_UNREADABLE: Final = (OSError, SyntaxError, ValueError, EOFError, struct.error)
DAMAGED: Final = "could not be read as an image: the file may be damaged or cut short"
JPEG_QUALITY: Final = 85


class PillowImages:
    """The image inspector of tracedesk: Pillow, off the event loop."""

    async def inspect(
        self, content: bytes, media_type: PhotoMediaType, *, rules: PhotoRules
    ) -> InspectedImage:
        return await anyio.to_thread.run_sync(inspect_image, content, media_type, rules)


def inspect_image(content: bytes, media_type: PhotoMediaType, rules: PhotoRules) -> InspectedImage:
    """Decode the photo whole and make its thumbnail (blocking)."""
    formats = [_FORMATS[media_type]]
    try:
        with warnings.catch_warnings():
            # Pillow's own guard (about 89 megapixels) warns before it refuses; both are
            # a refusal here, as is anything over the rules' limit, checked first.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=formats) as probe:
                rules.check_pixels(*probe.size)
                probe.verify()  # checksums of PNG chunks; verify() leaves the image unusable
            with Image.open(io.BytesIO(content), formats=formats) as image:
                image.load()
                shown = ImageOps.exif_transpose(image)
                return InspectedImage(
                    width=shown.width,
                    height=shown.height,
                    thumbnail=_thumbnail(shown, media_type),
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise rules.too_many_pixels() from None
    except _UNREADABLE:
        raise InvalidValue("photo", DAMAGED) from None


def _thumbnail(image: Image.Image, media_type: PhotoMediaType) -> bytes:
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if transparent and media_type is PhotoMediaType.PNG else "RGB"
    small = image.convert(mode).resize(thumbnail_size(*image.size), Image.Resampling.LANCZOS)
    # A new image from the pixels only: nothing of the original's metadata comes along.
    bare = Image.frombytes(small.mode, small.size, small.tobytes())
    out = io.BytesIO()
    if media_type is PhotoMediaType.JPEG:
        bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        bare.save(out, "PNG", optimize=True)
    return out.getvalue()
