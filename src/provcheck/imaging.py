"""Images, in one place: loading untrusted files safely, and the fingerprints matching compares.

Photographs come from sellers, registers and users' folders: any of them can be huge, truncated,
a decompression bomb, or not an image at all under a `.jpg` name. `load_image` refuses all of
those with one clear `InputError` and hands back an upright RGB image (EXIF orientation applied,
transparency flattened onto white, CMYK and 16-bit converted).

Fingerprints are perceptual hashes (64-bit pHash and dHash); they are computed once per image and
travel with its `ImageRef`.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from pathlib import Path

import imagehash
from PIL import Image, ImageOps, UnidentifiedImageError

from provcheck.description import ImageRef
from provcheck.errors import InputError

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "compute_fingerprints",
    "fingerprinted",
    "hamming",
    "image_bytes",
    "load_image",
    "thumbnail_jpeg",
]

MAX_IMAGE_BYTES = 64 * 1024 * 1024
MAX_IMAGE_PIXELS = 80_000_000  # a 100-megapixel camera's raw frame is the most a photo needs
_TOO_LARGE = (
    f"the limit is {MAX_IMAGE_PIXELS:,} pixels (a decompression bomb, or far larger than needed)"
)
# Hashing looks at a few dozen pixels: decoding a JPEG at reduced scale costs nothing in quality.
_HASH_DECODE_SIDE = 512


def image_bytes(ref: ImageRef, *, base: Path | None = None) -> bytes:
    """The bytes of an image given by path or inline data (URLs are fetched by their register)."""
    if ref.data is not None:
        data = ref.data
    elif ref.path is not None:
        path = Path(ref.path)
        if base is not None and not path.is_absolute():
            path = base / path
        try:
            size = path.stat().st_size
            if size > MAX_IMAGE_BYTES:
                raise InputError(
                    f"{path}: image is {size:,} bytes; the limit is {MAX_IMAGE_BYTES:,}"
                )
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"{path}: no such image file") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a folder, not an image") from None
        except OSError as error:
            raise InputError(f"{path}: cannot read the image: {error.strerror or error}") from None
    else:
        raise InputError(f"{ref.url}: images by URL are fetched by a register, not read here")
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError(
            f"{ref.location}: image is {len(data):,} bytes; the limit is {MAX_IMAGE_BYTES:,}"
        )
    if not data:
        raise InputError(f"{ref.location}: the image file is empty")
    return data


def load_image(data: bytes, *, source: str, max_side: int | None = None) -> Image.Image:
    """Decode untrusted image bytes into an upright RGB image, or raise one clear `InputError`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            width, height = opened.size
            if width * height > MAX_IMAGE_PIXELS:
                raise InputError(f"{source}: image is {width}x{height} pixels; {_TOO_LARGE}")
            if max_side and opened.format == "JPEG":
                opened.draft("RGB", (max_side, max_side))
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{source}: image is too large to open; {_TOO_LARGE}") from None
    except UnidentifiedImageError as error:
        raise InputError(f"{source}: not a readable image ({_describe(error)})") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InputError(f"{source}: damaged or truncated image ({_describe(error)})") from None
    return _as_rgb(image)


def _describe(error: BaseException) -> str:
    text = str(error).split("\n")[0]
    text = text.replace(" <_io.BytesIO object", "").split(" at 0x")[0]
    return text[:160] or type(error).__name__


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit and float greyscale: scale into 8 bits before converting.
        grey = image.convert("F")
        extrema = grey.getextrema()
        low, high = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
        scale = 255.0 / (high - low) if high != low else 1.0
        return grey.point(lambda v: (v - low) * scale).convert("L").convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image


def compute_fingerprints(image: Image.Image) -> dict[str, str]:
    """Perceptual hashes of an image, as hex strings."""
    return {"phash": str(imagehash.phash(image)), "dhash": str(imagehash.dhash(image))}


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex fingerprints of the same kind."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def thumbnail_jpeg(image: Image.Image, *, max_side: int = 768, quality: int = 85) -> bytes:
    """A bounded JPEG copy of an image, for the store and for reports."""
    copy = image.copy()
    copy.thumbnail((max_side, max_side))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def fingerprinted(ref: ImageRef, *, base: Path | None = None) -> ImageRef:
    """`ref` with its content digest and fingerprints, computed once per distinct image."""
    if ref.fingerprints and ref.sha256:
        return ref
    data = image_bytes(ref, base=base)
    digest = hashlib.sha256(data).hexdigest()
    fingerprints = dict(_fingerprints_of(digest, data, ref.location))
    return ref.model_copy(update={"sha256": digest, "fingerprints": fingerprints})


# Fingerprints by content digest: the same photograph is decoded once per process.
_CACHE: dict[str, tuple[tuple[str, str], ...]] = {}


def _fingerprints_of(digest: str, data: bytes, source: str) -> tuple[tuple[str, str], ...]:
    cached = _CACHE.get(digest)
    if cached is None:
        image = load_image(data, source=source, max_side=_HASH_DECODE_SIDE)
        cached = tuple(compute_fingerprints(image).items())
        if len(_CACHE) > 4096:
            _CACHE.clear()
        _CACHE[digest] = cached
    return cached
