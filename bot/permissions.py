"""The Discord permissions the bot asks for in its invite link, each with why (README lists them)."""

from __future__ import annotations

INVITE_PERMISSIONS: dict[str, str] = {
    "view_channel": "see #prodevprojectnexus and the review channel",
    "send_messages": "post announcements, digests, sessions and answers",
    "send_messages_in_threads": "talk in partner, question and session threads",
    "create_public_threads": "open a thread for each /ask question",
    "create_private_threads": "open a private thread for each partner pair",
    "manage_threads": "archive solved questions and add partners to their thread",
    "embed_links": "show posts as embeds",
    "attach_files": "send CSV exports to staff",
    "read_message_history": "find and edit its own posts after a restart",
    "manage_roles": "give the Backend/Frontend role from the role picker",
    "manage_events": "create a Discord scheduled event for each study session",
    "pin_messages": "pin each pair's API contract in its thread",
}

# Integer for the invite URL; tests check it against discord.Permissions and the README.
INVITE_PERMISSIONS_VALUE = 2252203809164288
