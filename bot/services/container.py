"""Every feature service, built once at start and handed to the cogs.

`NexusBot` builds one `Services` from the database and the clock; each cog's `setup()` takes the
services it needs from `bot.services`, and persistent components reach them through
`interaction.client.services`. Cogs never build stores or reach each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.services.announcements import AnnouncementService
from bot.services.catalog import CatalogService
from bot.services.cohort import CohortService
from db.database import Database


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    cohort: CohortService
    catalog: CatalogService
    announcements: AnnouncementService

    @classmethod
    def build(cls, db: Database, clock: Clock) -> Services:
        cohort, catalog = CohortService(db), CatalogService(db)
        return cls(
            db=db,
            clock=clock,
            cohort=cohort,
            catalog=catalog,
            announcements=AnnouncementService(db, clock, cohort, catalog),
        )
