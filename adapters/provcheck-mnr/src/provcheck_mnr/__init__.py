"""provcheck plugin: The French MNR (Musées Nationaux Récupération) on the POP platform, with a mock of its JSON and OAI-PMH."""

from provcheck import Access, ObjectDescription, QueryNotSupported, Record, Registry

__all__ = ["MnrRegistry"]


class MnrRegistry(Registry):
    """Being built: until it is, every search is skipped and says so."""

    name = "mnr"
    title = "MNR (Musées Nationaux Récupération)"
    access = Access.API

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        raise QueryNotSupported("mnr: this plugin is being built")
