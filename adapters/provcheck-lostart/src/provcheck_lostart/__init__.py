"""provcheck plugin: Lost Art Database (German Lost Art Foundation): its public CSV export, mirrored, with a mock of the export service."""

from provcheck import Access, ObjectDescription, QueryNotSupported, Record, Registry

__all__ = ["LostArtRegistry"]


class LostArtRegistry(Registry):
    """Being built: until it is, every search is skipped and says so."""

    name = "lostart"
    title = "Lost Art Database"
    access = Access.API

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        raise QueryNotSupported("lostart: this plugin is being built")
