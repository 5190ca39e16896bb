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
from bot.services.cohort_view import CohortViewService
from bot.services.command_sync import CommandSyncService
from bot.services.contracts.service import ContractService
from bot.services.learning import LearningService
from bot.services.matching.service import MatchingService
from bot.services.onboarding import OnboardingService
from bot.services.pair_health import PairHealthService
from bot.services.questions import QuestionService
from bot.services.sessions import SessionService
from bot.services.staff import StaffService
from db.database import Database


@dataclass(frozen=True)
class Services:
    db: Database
    clock: Clock
    cohort: CohortService
    catalog: CatalogService
    commands: CommandSyncService
    contracts: ContractService
    announcements: AnnouncementService
    learning: LearningService
    matching: MatchingService
    onboarding: OnboardingService
    pair_health: PairHealthService
    questions: QuestionService
    sessions: SessionService
    staff: StaffService
    view: CohortViewService

    @classmethod
    def build(cls, db: Database, clock: Clock) -> Services:
        catalog, cohort = CatalogService(db), CohortService(db)
        learning = LearningService(db, clock, cohort)
        questions = QuestionService(db, clock, cohort, learning)
        sessions = SessionService(db, clock, catalog)
        matching = MatchingService(db, clock, catalog)
        contracts = ContractService(db, clock, matching)
        pair_health = PairHealthService(db, clock, matching, contracts)
        return cls(
            db=db,
            clock=clock,
            cohort=cohort,
            catalog=catalog,
            commands=CommandSyncService(db, clock),
            announcements=AnnouncementService(db, clock, cohort, catalog, questions),
            learning=learning,
            contracts=contracts,
            matching=matching,
            onboarding=OnboardingService(db, clock, cohort),
            pair_health=pair_health,
            questions=questions,
            sessions=sessions,
            staff=StaffService(db, clock, cohort, catalog),
            view=CohortViewService(db, clock, cohort, catalog, learning, sessions, pair_health),
        )
