"""provcheck plugin: Registers searched by a person (INTERPOL, Carabinieri, Artive): the request each asks for, prepared."""

import abc

from provcheck import Access, ObjectDescription, Record, ReferralRequired, Registry

__all__ = ["ArtiveRegistry", "CarabinieriRegistry", "InterpolRegistry"]


class _Referral(Registry):
    """Being built: a referral with no prepared request yet."""

    access = Access.REFERRAL

    @property
    @abc.abstractmethod
    def form(self) -> str: ...

    async def search(self, query: ObjectDescription, *, limit: int) -> list[Record]:
        raise ReferralRequired(f"{self.title}: being built", instructions="-", request=self.form)


class InterpolRegistry(_Referral):
    form = "-"
    name = "interpol"
    title = "INTERPOL Stolen Works of Art"


class CarabinieriRegistry(_Referral):
    form = "-"
    name = "carabinieri"
    title = "Carabinieri TPC (Leonardo database)"


class ArtiveRegistry(_Referral):
    form = "-"
    name = "artive"
    title = "Artive / ArtClaim"
