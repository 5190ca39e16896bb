"""Every feature service, built once at start and handed to the cogs.

`NexusBot` builds one `Services` from the database and the clock; each cog's `setup()` takes the
services it needs from `bot.services`, and persistent components reach them through
`interaction.client.services`. Cogs never build stores or reach each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.services.catalog import CatalogService
from bot.services.cohort import CohortService
from bot.services.matching.service import MatchingService
from db.database import Database


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    cohort: CohortService
    catalog: CatalogService
    matching: MatchingService

    @classmethod
    def build(cls, db: Database, clock: Clock) -> Services:
        catalog = CatalogService(db)
        return cls(
            db=db,
            clock=clock,
            cohort=CohortService(db),
            catalog=catalog,
            matching=MatchingService(db, clock, catalog),
        )
