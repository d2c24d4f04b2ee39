"""provcheck plugin: Wikidata's works of art with a theft or plunder event (CC0), by SPARQL, with a mock endpoint."""

from provcheck import Access, ObjectDescription, QueryNotSupported, Record, Registry

__all__ = ["WikidataRegistry"]


class WikidataRegistry(Registry):
    """Being built: until it is, every search is skipped and says so."""

    name = "wikidata"
    title = "Wikidata"
    access = Access.API

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        raise QueryNotSupported("wikidata: this plugin is being built")
