"""How the model's objects show themselves as HTML -- `CheckReport.to_html()`, and notebooks'
`_repr_html_` -- without the model importing the renderer above it: the package's composition
root (`provcheck/__init__.py`) installs the renderer, with photographs from the local store."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from provcheck.errors import InputError
from provcheck.model.description import ImageRef

__all__ = ["HtmlRenderer", "ImageSource", "as_html", "install_html_renderer", "own_bytes"]

# Gives the bytes of a photograph for its thumbnail, or None when no copy can be had.
ImageSource = Callable[[ImageRef], bytes | None]
# (a report, candidate or record; whether a fragment for a notebook) -> HTML
HtmlRenderer = Callable[[object, bool], str]

_renderer: list[HtmlRenderer] = []


def install_html_renderer(renderer: HtmlRenderer) -> None:
    _renderer[:] = [renderer]


def as_html(item: object, *, fragment: bool) -> str:
    if not _renderer:  # only a program that imports provcheck.model without provcheck itself
        raise RuntimeError("no HTML renderer is installed: import provcheck first")
    return _renderer[0](item, fragment)


def own_bytes(image: ImageRef) -> bytes | None:
    """The image's own bytes (inline, or a readable file); what a page shows when it is given
    no other source. URLs are never fetched: a page is rendered offline, and a register's
    address is not to be trusted."""
    if image.data is not None or image.path is not None:
        with contextlib.suppress(InputError):
            return image.read()
    return None
