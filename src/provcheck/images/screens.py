"""Printed screens: a work reproduced in a book or a catalogue is printed as dots on regular
grids (a halftone screen), and a photograph of it shows those dots -- as a photograph of a
monitor shows its pixels. Every dot has corners: ORB finds its keypoints on the dots rather than
on the picture, and they meet none of the register's features. Blurred by a little over a third
of the grid's period, the dots merge into the picture they print, and its features come back.

A screen is a few sharp peaks in the photograph's spectrum, at the grid's frequency: far above
what the picture has at that frequency in any other direction. A painting's brushwork and an
engraving's hatching are not regular enough for that; a canvas's weave is, at a longer period
(see `_WEAVE`); a JPEG's 8-pixel blocks sometimes are, which costs no more than a second
description of the photograph.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

__all__ = ["descreened", "screen_period"]

# The middle of the photograph looked at (a printed page is photographed with the picture in the
# middle); 256 pixels hold 18 to 116 periods of any regular pattern looked at.
_LOOKED_AT = 256
# Periods looked for, in pixels of the working-size photograph. A reproduction printed at 65 to
# 200 lines an inch, 6 to 25 cm wide, photographed whole, has its dots 2 to 6 pixels apart (finer,
# they are not seen at all). A longer regular period is a weave: a canvas's back, blurred by its
# thread, keeps only its stretcher bars and labels, which every back shares by chance (one back
# was confirmed on another by 11 of 11 matches while weaves were taken for screens). So periods
# up to `_WEAVE` are looked at, and the strongest is a screen only if it is no longer than
# `_SCREEN` (a weave's threads also repeat at half and a third of their period, less strongly).
_SHORTEST, _SCREEN, _WEAVE = 2.2, 6.5, 14.0
_RINGS = 50
# How far the strongest frequency of a ring must stand above the ring's median to be a screen.
# Chosen on the image benchmark's printed halftones (120) against real photographs (the corpus's
# 335 works, 183 details and 500 padding tiles): the halftones stood 49 to 280 times above (half
# of them over 110), the real photographs 3.5 to 114 (1 in 100 above 49). 16 of the 1,018 real
# photographs are taken for screened (a fine regular texture, a JPEG's blocks): only described
# once more.
_STANDS_ABOVE = 40.0
# The blur that merges dots, as a share of the screen's period (a Gaussian's sigma). Chosen on
# 60 printed halftones against a 10,000-image register, found first: no blur 52, 0.25 57, 0.35
# 58, 0.45 57, 0.75 53, 1.0 52 (and 58 as screens are looked for now); on 60 others, 59 -> 60.
_BLUR = 0.35


def screen_period(image: Image.Image) -> float | None:
    """The period, in pixels, of a printed screen's dots (or a monitor's pixels) in `image`;
    None when it shows no screen."""
    left = max(0, (image.width - _LOOKED_AT) // 2)
    top = max(0, (image.height - _LOOKED_AT) // 2)
    right, bottom = min(image.width, left + _LOOKED_AT), min(image.height, top + _LOOKED_AT)
    middle = image.crop((left, top, right, bottom)).convert("L")
    grey = np.asarray(middle, dtype=np.float32)
    height, width = grey.shape
    if min(height, width) < 64:
        return None
    window = np.outer(np.hanning(height), np.hanning(width))
    spectrum = np.abs(np.fft.rfft2((grey - grey.mean()) * window))
    frequency = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.rfftfreq(width)[None, :])
    edges = np.linspace(1 / _WEAVE, 1 / _SHORTEST, _RINGS + 1)
    rings = np.digitize(frequency, edges)
    strongest, period = 0.0, 0.0
    for ring in range(1, _RINGS + 1):
        values = spectrum[rings == ring]
        if values.size == 0:
            continue
        stands = float(values.max()) / max(1e-9, float(np.median(values)))
        if stands > strongest:
            strongest, period = stands, 2.0 / float(edges[ring - 1] + edges[ring])
    return period if strongest >= _STANDS_ABOVE and period <= _SCREEN else None


def descreened(image: Image.Image) -> Image.Image | None:
    """`image` with a printed screen's dots merged into the picture; None when it shows none."""
    period = screen_period(image)
    if period is None:
        return None
    return image.filter(ImageFilter.GaussianBlur(_BLUR * period))
