"""provcheck plugin: Wikidata's works of art with a theft or plunder event (CC0), by SPARQL, with
a mock endpoint."""

from provcheck_wikidata.client import (
    WikidataRegistry,
    WikidataSettings,
    commons_image,
    record_from_row,
)
from provcheck_wikidata.sparql import sparql_string
from provcheck_wikidata.status import Standing, standing

__all__ = [
    "Standing",
    "WikidataRegistry",
    "WikidataSettings",
    "commons_image",
    "record_from_row",
    "sparql_string",
    "standing",
]
