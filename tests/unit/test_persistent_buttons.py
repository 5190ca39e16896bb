"""Every persistent button rebuilds itself from its custom id alone (what a press after a restart carries)."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.app.ui import PersistentButton
from cogs.api.components import AcknowledgeButton
from cogs.learning.components import OpenTopicButton, ReviewButton
from cogs.matching.components import AnswerButton, AskButton, PairWithMeButton
from cogs.matching.health import CheckinButton, RematchButton
from cogs.nexus.staff_posts import CancelPostButton
from cogs.onboarding.components import MoveTrackButton, RoleButton
from cogs.sessions.components import RsvpButton

BUTTONS: list[PersistentButton] = [
    AskButton(123456789012345678),
    AnswerButton("block", 42),
    PairWithMeButton(7),
    CheckinButton("not_yet", 9, 10),
    RematchButton(11),
    AcknowledgeButton(3, 12),
    RsvpButton(5, "maybe"),
    RoleButton("frontend"),
    MoveTrackButton("backend", 99),
    CancelPostButton(8),
    OpenTopicButton("django-rest-framework"),
    ReviewButton("reject", 4),
]


def state(button: PersistentButton) -> dict[str, Any]:
    """What the subclass keeps (its own attributes), not discord.py's item plumbing."""
    return {name: value for name, value in vars(button).items() if not name.startswith("_") and name != "item"}


@pytest.mark.parametrize("button", BUTTONS, ids=lambda b: type(b).__name__)
async def test_a_button_is_rebuilt_from_its_custom_id(button: PersistentButton) -> None:
    match = button.template.fullmatch(button.custom_id)
    assert match is not None
    again = await type(button).from_custom_id(None, button.item, match)  # type: ignore[arg-type]
    assert type(again) is type(button)
    assert again.custom_id == button.custom_id
    assert state(again) == state(button) != {}


async def test_an_announcement_posts_button_is_answered_by_pair_with_me_and_its_view_never_stored() -> None:
    """discord.py keeps every unfinished view it sends or edits in, for the process's life (one per announcement
    post, ~20 KB with its message under the load); the post's press is PairWithMeButton's, so the view is inert."""
    from datetime import UTC, date, datetime

    from cogs.projects.rendering import pair_view
    from db.stores.announcements import Announcement

    now = datetime(2026, 12, 8, tzinfo=UTC)
    announcement = Announcement(
        guild_id=1, user_id=2, cohort_start=date(2026, 12, 7), project_key="ecommerce", track="backend",
        title="Shop", summary="A shop.", id=77, channel_id=3, message_id=4, created_at=now, updated_at=now,
        withdrawn_at=None, left_guild_at=None,
    )  # fmt: skip
    view = pair_view(announcement)
    assert view is not None and view.is_finished()  # what discord.py's send/edit check before storing a view
    (button,) = view.children
    assert isinstance(button, discord.ui.Button) and button.custom_id is not None
    assert PairWithMeButton(77).custom_id == button.custom_id
