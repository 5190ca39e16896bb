"""What a feature service needs to know from Discord, without importing it.

Cogs implement `MemberDirectory` from the guild cache (`cogs._shared.GuildDirectory`) and pass it to the
service operation that needs names or membership; tests pass a plain implementation.
"""

from __future__ import annotations

from typing import Protocol


class MemberDirectory(Protocol):
    """The members of one guild as Discord's cache knows them."""

    guild_id: int

    def display_name(self, user_id: int) -> str | None:
        """The member's server display name, or None when they are no longer in the server."""
        ...

    def is_member(self, user_id: int) -> bool:
        """Whether the user is still in the server."""
        ...

    def tracks(self, user_id: int) -> tuple[str, ...]:
        """The track keys whose role the member holds ("backend", "frontend"), in track order."""
        ...

    def learners(self) -> dict[int, tuple[str, ...]]:
        """Every member holding a track role, with their tracks."""
        ...
