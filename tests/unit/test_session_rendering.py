"""How a session post lists who answered: mentions that fit a field, then how many more."""

from __future__ import annotations

from cogs.sessions.rendering import mention_list


def test_mentions_fit_the_field_and_count_the_rest() -> None:
    assert mention_list([]) == "—"
    assert mention_list([1, 22, 333]) == "<@1> <@22> <@333>"
    ids = [10**17 + i for i in range(500)]  # a post with hundreds of answers, re-rendered on every press
    text = mention_list(ids)
    shown = text.split(" +")[0].split(" ")
    assert len(text) <= 1024 and text.endswith(f" +{500 - len(shown)} more")
    assert shown == [f"<@{i}>" for i in ids[: len(shown)]]
    # Room is kept for the "+N more" that may follow, so a list one mention too long still says how many are left.
    assert mention_list([1, 2], limit=len("<@1> <@2> +1 more") - 1) == "<@1> +1 more"
    assert mention_list([1, 2], limit=len("<@1> <@2> +1 more")) == "<@1> <@2>"
