"""Write your own register in a few lines and check an object against it.

    uv run python examples/custom_registry.py

A register is one subclass of `provcheck.Registry`. This one holds a museum's own losses in a
list; the others show how a register that fails, cannot answer, or answers later is reported --
and why only a check where every register was searched can conclude "no match found".
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import provcheck


class OurLosses(provcheck.Registry):
    """The museum's own list of objects lost from its stores."""

    name = "our-losses"
    title = "Our own losses"
    access = provcheck.Access.LOCAL
    capabilities = provcheck.Capabilities(fields=frozenset({"title", "makers", "inventory_number"}))

    LOSSES = (
        provcheck.Record(
            registry="our-losses",
            record_id="L-1998-004",
            status=provcheck.RecordStatus.MISSING,
            description=provcheck.ObjectDescription(
                title="Acorn", maker="Tiffany Studios", period="c. 1906", measurements="H. 24 in"
            ),
        ),
    )

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> Sequence[provcheck.Record]:
        words = set((query.title or "").lower().split())
        return [r for r in self.LOSSES if words & set((r.description.title or "").lower().split())]


class UnreachableService(provcheck.Registry):
    name = "unreachable"
    title = "A register whose service is down"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title"}))

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> Sequence[provcheck.Record]:
        raise provcheck.RegistryUnavailableError("unreachable: connection refused")


class PhotoOnly(provcheck.Registry):
    name = "photo-only"
    title = "A register searched by photograph only"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(images=True)

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> Sequence[provcheck.Record]:
        return []


class AnswersLater(provcheck.Registry):
    name = "answers-later"
    title = "A register whose staff review each search"
    access = provcheck.Access.API
    capabilities = provcheck.Capabilities(fields=frozenset({"title"}))

    async def search(
        self, query: provcheck.ObjectDescription, *, limit: int
    ) -> Sequence[provcheck.Record]:
        await asyncio.sleep(0)
        raise provcheck.SearchPending("in review by staff", handle={"search_id": "S-0042"})


def show(label: str, report: provcheck.CheckReport) -> None:
    states = ", ".join(f"{o.registry}={o.state.value}" for o in report.outcomes)
    print(f"{label}: {report.conclusion.value} ({states})")


def main() -> None:
    lamp = {"title": "Acorn", "maker": "Tiffany", "period": "1906"}
    harbour = {"title": "Harbour at dusk", "maker": "Jan Vermeulen", "period": "1952"}
    show("lamp, our losses", provcheck.check(lamp, [OurLosses()]))
    show("harbour, our losses", provcheck.check(harbour, [OurLosses()]))
    show(
        "harbour, with a register down",
        provcheck.check(harbour, [OurLosses(), UnreachableService()]),
    )
    show(
        "harbour, with a photo-only register", provcheck.check(harbour, [OurLosses(), PhotoOnly()])
    )
    show("harbour, with a review pending", provcheck.check(harbour, [OurLosses(), AnswersLater()]))


if __name__ == "__main__":
    main()
