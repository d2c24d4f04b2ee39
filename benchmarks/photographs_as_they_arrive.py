"""Photographs as they really arrive, made from a corpus image: for `image_matching.py`.

Each maker takes the registered work's image (and a random source) and returns what a seller,
a police officer or an old register would have instead:

- a **detail**: 15-30% of the work, photographed close up (enlarged, tilted, unevenly lit, noisy);
- a **screen**: the work shown on a monitor and photographed -- the sub-pixel grid sampled by the
  camera (moire), a colour cast, refresh bands, softness, an angle, the bezel around it;
- a **halftone print**: the work printed in a catalogue (rotated dot screens per ink) and
  photographed;
- an **archival** record photograph: black and white, flat contrast, grain, an old lens's
  softness, under 300 px;
- an **occluded** work: a hand, a reflection, a label in front of part of it;
- the **back** of a canvas with its label, as a register keeps or a seller sends as another view.

They are written to be unlike the transforms provcheck was tuned on: the held-out measurement uses
others again.
"""

from __future__ import annotations

import io
import math
import random
import string
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

__all__ = [
    "archival",
    "canvas_back",
    "detail",
    "halftone_print",
    "occluded",
    "photographed",
    "recompressed",
    "screen",
]

_FONT = Path(__file__).resolve().parent.parent / "src/provcheck/reports/fonts/DejaVuSans.ttf"


def recompressed(image: Image.Image, quality: int) -> Image.Image:
    """The image saved as a JPEG of `quality` and read back."""
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _noise(image: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float32)
    noisy = pixels + np.random.default_rng(rng.randrange(10**6)).normal(0, sigma, pixels.shape)
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def _warp(
    image: Image.Image, amount: float, rng: random.Random, fill: tuple[int, int, int]
) -> Image.Image:
    """A view from off-axis: each corner moved inwards by up to `amount` of the side."""
    w, h = image.size
    source = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    target = np.float32(
        [
            [rng.uniform(0, amount) * w, rng.uniform(0, amount) * h],
            [w - rng.uniform(0, amount) * w, rng.uniform(0, amount) * h],
            [w - rng.uniform(0, amount) * w, h - rng.uniform(0, amount) * h],
            [rng.uniform(0, amount) * w, h - rng.uniform(0, amount) * h],
        ]
    )
    mapping = cv2.getPerspectiveTransform(source, target)
    warped = cv2.warpPerspective(
        np.asarray(image.convert("RGB")),
        mapping,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )
    return Image.fromarray(warped)


def _lit(image: Image.Image, rng: random.Random, strength: float = 0.35) -> Image.Image:
    """Light falling from one side, and a warm or cool cast."""
    w, h = image.size
    angle = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (xs / w - 0.5) * math.cos(angle) + (ys / h - 0.5) * math.sin(angle)
    gain = 1.0 + strength * ramp
    cast = np.array([rng.uniform(0.9, 1.1), 1.0, rng.uniform(0.9, 1.1)], dtype=np.float32)
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32) * gain[..., None] * cast
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def photographed(image: Image.Image, rng: random.Random, *, tilt: float = 0.06) -> Image.Image:
    """A hand-held photograph of something flat: a slight angle and turn, light, noise, JPEG."""
    shot = _warp(image, tilt, rng, fill=(rng.randrange(40, 200),) * 3)
    shot = shot.rotate(
        rng.uniform(-4, 4), resample=Image.Resampling.BICUBIC, fillcolor=(90, 90, 90)
    )
    shot = _lit(shot, rng)
    return recompressed(_noise(shot, rng.uniform(3, 7), rng), rng.randrange(70, 90))


def detail(image: Image.Image, rng: random.Random) -> Image.Image:
    """A close photograph of 15-30% of the work (by area), anywhere in it."""
    w, h = image.size
    share = rng.uniform(0.15, 0.30)
    aspect = rng.uniform(0.7, 1.4)
    cw = min(w, int(math.sqrt(share * w * h * aspect)))
    ch = min(h, int(share * w * h / max(cw, 1)))
    x, y = rng.randrange(0, w - cw + 1), rng.randrange(0, h - ch + 1)
    part = image.crop((x, y, x + cw, y + ch))
    side = rng.randrange(800, 1400)  # a camera's frame, not the register's pixels
    scale = side / max(part.size)
    part = part.resize((max(1, int(cw * scale)), max(1, int(ch * scale))), Image.Resampling.BICUBIC)
    part = part.filter(
        ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5))
    )  # the enlargement's softness
    return photographed(part, rng, tilt=0.05)


def screen(image: Image.Image, rng: random.Random) -> Image.Image:
    """The work on a monitor, photographed: each pixel drawn as three coloured stripes, sampled
    by the camera at another pitch and angle (moire), with a cast, bands and softness."""
    shown = image.convert("RGB")
    shown.thumbnail((rng.randrange(420, 640),) * 2)
    pixels = np.asarray(shown, dtype=np.float32)
    # Three sub-pixels a pixel wide and a dark line between rows, each screen pixel 3 x 3.
    grid = np.repeat(np.repeat(pixels, 3, axis=0), 3, axis=1)
    stripes = np.zeros_like(grid)
    for channel in range(3):
        stripes[:, channel::3, channel] = 1.0
    stripes[2::3, :, :] *= 0.35
    panel = grid * (0.25 + 0.75 * stripes)
    panel *= 1.6  # the stripes dim it; the screen is bright
    # The bezel, and the panel seen at an angle, turned a little.
    height, width = panel.shape[:2]
    bezel = int(0.06 * width)
    framed = np.full((height + 2 * bezel, width + 2 * bezel, 3), 18, dtype=np.float32)
    framed[bezel : bezel + height, bezel : bezel + width] = panel
    framed_image = Image.fromarray(framed.clip(0, 255).astype(np.uint8))
    framed_image = _warp(framed_image, 0.08, rng, fill=(70, 65, 60)).rotate(
        rng.uniform(-3, 3), resample=Image.Resampling.BILINEAR, fillcolor=(70, 65, 60)
    )
    # The camera samples the panel at its own pitch, without filtering: moire.
    factor = rng.uniform(0.38, 0.55)
    sampled = cv2.resize(
        np.asarray(framed_image),
        (int(framed_image.width * factor), int(framed_image.height * factor)),
        interpolation=cv2.INTER_LINEAR,
    ).astype(np.float32)
    # A refresh band or two, and the cast of the screen's white point.
    rows = np.arange(sampled.shape[0], dtype=np.float32)
    for _ in range(rng.randrange(1, 3)):
        centre, width_band = rng.uniform(0, sampled.shape[0]), rng.uniform(8, 40)
        sampled *= (1.0 - 0.25 * np.exp(-(((rows - centre) / width_band) ** 2)))[:, None, None]
    sampled *= np.array([rng.uniform(0.85, 1.0), rng.uniform(0.9, 1.0), rng.uniform(1.0, 1.15)])
    shot = Image.fromarray(sampled.clip(0, 255).astype(np.uint8))
    shot = shot.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
    return recompressed(_noise(shot, 4, rng), rng.randrange(70, 88))


def halftone_print(image: Image.Image, rng: random.Random) -> Image.Image:
    """The work printed in a catalogue -- cyan, magenta, yellow and black dots on rotated
    screens -- and the page photographed."""
    page = image.convert("RGB")
    page.thumbnail((rng.randrange(700, 1000),) * 2)
    rgb = np.asarray(page, dtype=np.float32) / 255.0
    black = 1.0 - rgb.max(axis=2)
    cmy = (1.0 - rgb - black[..., None]) / np.maximum(1.0 - black[..., None], 1e-3)
    inks = [cmy[..., 0], cmy[..., 1], cmy[..., 2], black]
    h, w = black.shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    cell = rng.uniform(4.0, 6.0)
    printed = np.ones((h, w, 3), dtype=np.float32)
    colours = [(0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0), (0.0, 0.0, 0.0)]
    for ink, angle, colour in zip(inks, (15, 75, 0, 45), colours, strict=True):
        theta = math.radians(angle)
        u = (xs * math.cos(theta) + ys * math.sin(theta)) / cell
        v = (-xs * math.sin(theta) + ys * math.cos(theta)) / cell
        # Distance to the nearest dot centre; a dot's radius grows with the ink's coverage.
        distance = np.hypot(u - np.round(u), v - np.round(v))
        dot = distance < np.sqrt(np.clip(ink, 0, 1) / math.pi)
        printed[dot] *= np.array(colour, dtype=np.float32) * 0.85 + 0.15
    paper = Image.fromarray((printed * np.array([245, 240, 228])).clip(0, 255).astype(np.uint8))
    margin = ImageOps.expand(paper, border=int(0.08 * w), fill=(245, 240, 228))
    return photographed(margin, rng, tilt=0.07)


def archival(image: Image.Image, rng: random.Random) -> Image.Image:
    """An old record photograph: black and white (sometimes toned), flat, grainy, soft, small."""
    old = ImageOps.grayscale(image)
    old = old.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 2.0)))
    old.thumbnail((rng.randrange(180, 300),) * 2, Image.Resampling.LANCZOS)
    old = ImageEnhance.Contrast(old).enhance(rng.uniform(0.45, 0.7))
    old = ImageEnhance.Brightness(old).enhance(rng.uniform(0.85, 1.15))
    grain = np.asarray(old, dtype=np.float32)
    grain = grain + np.random.default_rng(rng.randrange(10**6)).normal(
        0, rng.uniform(6, 12), grain.shape
    )
    toned = Image.fromarray(grain.clip(0, 255).astype(np.uint8))
    if rng.random() < 0.4:  # sepia
        toned = ImageOps.colorize(toned, black=(40, 26, 14), white=(235, 220, 190))
    return recompressed(toned, rng.randrange(55, 80))


def occluded(image: Image.Image, rng: random.Random) -> Image.Image:
    """Something in front of 20-35% of the work (a hand, a sheet of paper, a reflection), then
    photographed."""
    covered = image.convert("RGB").copy()
    draw = ImageDraw.Draw(covered)
    w, h = covered.size
    target = rng.uniform(0.20, 0.35) * w * h
    done = 0.0
    while done < target:
        bw, bh = rng.uniform(0.15, 0.45) * w, rng.uniform(0.15, 0.45) * h
        x, y = rng.uniform(-0.1 * w, w - 0.5 * bw), rng.uniform(-0.1 * h, h - 0.5 * bh)
        kind = rng.choice(["hand", "paper", "glare"])
        if kind == "hand":
            draw.ellipse(
                (x, y, x + bw, y + bh),
                fill=(rng.randrange(170, 230), rng.randrange(120, 170), rng.randrange(100, 140)),
            )
        elif kind == "paper":
            draw.rectangle((x, y, x + bw, y + bh), fill=(240, 238, 230))
        else:
            draw.ellipse((x, y, x + bw, y + bh), fill=(250, 250, 250))
        done += bw * bh * (0.78 if kind != "paper" else 1.0)
    covered = covered.filter(ImageFilter.GaussianBlur(0.6))
    return photographed(covered, rng, tilt=0.05)


def _label_text(rng: random.Random) -> list[str]:
    words = [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(4, 10)))
        for _ in range(5)
    ]
    number = (
        f"{rng.randrange(1000, 99999)}/{rng.choice(string.ascii_uppercase)}{rng.randrange(10, 99)}"
    )
    return [
        f"Inv. {number}",
        f"{words[0].title()} {words[1].title()}",
        f"{words[2]} {words[3]} {words[4]}",
    ]


def canvas_back(rng: random.Random) -> Image.Image:
    """The back of a canvas: linen, the stretcher's bars, a collection label of its own."""
    w, h = rng.randrange(560, 720), rng.randrange(660, 860)
    base = np.array(
        [rng.randrange(170, 205), rng.randrange(145, 175), rng.randrange(100, 130)], np.float32
    )
    weave = np.random.default_rng(rng.randrange(10**6)).normal(0, 14, (h, w, 1)).astype(np.float32)
    linen = Image.fromarray((base + weave).clip(0, 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(0.8)
    )
    draw = ImageDraw.Draw(linen)
    bar = rng.randrange(36, 56)
    wood = (rng.randrange(120, 160), rng.randrange(85, 110), rng.randrange(50, 70))
    for box in ((0, 0, w, bar), (0, h - bar, w, h), (0, 0, bar, h), (w - bar, 0, w, h)):
        draw.rectangle(box, fill=wood, outline=(60, 40, 25), width=3)
    if rng.random() < 0.6:
        draw.rectangle(
            (0, h // 2 - bar // 2, w, h // 2 + bar // 2), fill=wood, outline=(60, 40, 25), width=3
        )
    font = ImageFont.truetype(str(_FONT), rng.randrange(16, 24))
    lw, lh = rng.randrange(220, 320), rng.randrange(110, 160)
    lx, ly = rng.randrange(bar + 10, w - bar - lw - 10), rng.randrange(bar + 10, h - bar - lh - 10)
    draw.rectangle((lx, ly, lx + lw, ly + lh), fill=(238, 232, 212), outline=(90, 70, 50), width=2)
    for line, text in enumerate(_label_text(rng)):
        draw.text((lx + 12, ly + 12 + line * (lh - 20) // 3), text, fill=(30, 25, 60), font=font)
    for _ in range(rng.randrange(0, 3)):  # stamps and chalk marks
        cx, cy = rng.randrange(bar, w - bar), rng.randrange(bar, h - bar)
        radius = rng.randrange(20, 45)
        draw.ellipse(
            (cx - radius, cy - radius, cx + radius, cy + radius), outline=(120, 30, 40), width=3
        )
    return linen
