"""The object to check, as `check`'s options: Object ID fields, photographs, a query file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from provcheck.errors import InputError, first_problem
from provcheck.model.description import ObjectDescription

__all__ = ["add_query_options", "load_query"]

# Object ID fields as `check` options: option name -> ObjectDescription field.
_QUERY_OPTIONS = {
    "title": "title",
    "maker": "maker",
    "object_type": "object_type",
    "materials": "materials",
    "measurements": "measurements",
    "period": "period",
    "inscriptions": "inscriptions",
    "subject": "subject",
    "features": "distinguishing_features",
    "description": "description",
    "inventory_number": "inventory_number",
    "place_of_origin": "place_of_origin",
}


def add_query_options(parser: argparse.ArgumentParser) -> None:
    """The object's options, in a group of their own in --help."""
    fields = parser.add_argument_group("the object (Object ID)")
    for option in _QUERY_OPTIONS:
        fields.add_argument(f"--{option.replace('_', '-')}", dest=option, metavar="TEXT")
    fields.add_argument(
        "--image", action="append", metavar="PATH", help="a photograph (repeatable)"
    )
    fields.add_argument("--query", metavar="FILE.json", help="Object ID fields as a JSON object")


def load_query(args: argparse.Namespace) -> ObjectDescription:
    """The object the options describe: the --query file's fields, each option given over them."""
    data: dict[str, Any] = {}
    if args.query:
        data = ObjectDescription.from_file(args.query).model_dump(exclude_defaults=True)
    for option, name in _QUERY_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            if name == "maker":  # the option replaces whatever maker the file gave
                data.pop("makers", None)
                data.pop("maker_text", None)
            data[name] = value
    for image in args.image or []:
        if image.startswith(("http://", "https://")):
            continue
        if not Path(image).exists():
            raise InputError(f"--image {image}: no such file")
        if not Path(image).is_file():
            raise InputError(
                f"--image {image}: not a regular file (a folder, device or FIFO); give a photograph"
            )
    if args.image:
        data["images"] = [*data.get("images", []), *args.image]
    try:
        query = ObjectDescription.model_validate(data)
    except ValidationError as error:
        where, problem = first_problem(error)
        raise InputError(f"--{(where or 'query').replace('_', '-')}: {problem}") from None
    if query.is_empty:
        raise InputError("nothing to check: give --title, --maker, ... or --query FILE.json")
    return query
