"""The connection every part of the matching store shares."""

from __future__ import annotations

from db.database import Database


class StoreBase:
    """The database every part of the matching store writes through."""

    def __init__(self, db: Database) -> None:
        self.db = db
