"""README's command table documents exactly the commands and options the bot registers."""

from __future__ import annotations

from pathlib import Path

from sandbox.commands_doc import CommandDoc, OptionDoc, command_docs, compare_readme, registered_commands

ROOT = Path(__file__).resolve().parents[2]


async def test_readme_command_table_matches_the_registered_commands() -> None:
    docs = command_docs(await registered_commands())
    assert any(d.path == "project list" for d in docs)  # the cogs really loaded
    problems = compare_readme((ROOT / "README.md").read_text(encoding="utf-8"), docs)
    assert not problems, "README.md's command table and the bot disagree:\n" + "\n".join(problems)


def table(*first_cells: str) -> str:
    rows = "\n".join(f"| {cell} | everyone | what |" for cell in first_cells)
    return f"# Bot\n\n## Commands\n\n| command | who | what |\n|---|---|---|\n{rows}\n\n## Other\n\n| `/x` | a | b |\n"


DOCS = [
    CommandDoc("nexus tips", "Daily tip", (OptionDoc("channel", False), OptionDoc("hour", False))),
    CommandDoc("project list", "Browse", (OptionDoc("track", True), OptionDoc("share", False))),
    CommandDoc("help", "Help", ()),
]


def test_every_difference_is_named_with_what_to_write() -> None:
    problems = compare_readme(
        table("`/nexus tips [channel]`, `/project list [track] [share] [page]`", "`/nexus setup channel`"), DOCS
    )
    assert problems == [
        "README.md line 7: `/nexus tips [channel]`: lacks registered option(s) `[hour]`; "
        "README should read `/nexus tips [channel] [hour]`",
        "README.md line 7: `/project list [track] [share] [page]`: option `track` is required in the bot; write "
        "`track` (README should read `/project list track [share]`)",
        "README.md line 7: `/project list [track] [share] [page]`: option `page` is not registered by "
        "/project list (registered: track, share); README should read `/project list track [share]`",
        "README.md line 8: `/nexus setup channel`: the bot registers no such command; "
        "registered under /nexus: /nexus tips",
        "README.md command table lacks /help: add `/help` to the first column of a row",
    ]


def test_a_matching_table_has_no_problems_and_shorthand_is_refused() -> None:
    good = table("`/nexus tips [channel] [hour]`", "`/project list track [share]`, `/help`")
    assert compare_readme(good, DOCS) == []
    shorthand = compare_readme(table("`/nexus tips …`", "`/project list track [share]`, `/help`"), DOCS)
    assert shorthand[0].endswith("write each command in full with its options, not `|` or `…`")


def test_command_docs_walk_groups_and_subcommands() -> None:
    raw = [
        {
            "name": "nexus",
            "type": 1,
            "description": "d",
            "options": [
                {"type": 1, "name": "about", "description": "About"},
                {
                    "type": 2,
                    "name": "catalog",
                    "description": "c",
                    "options": [
                        {
                            "type": 1,
                            "name": "add",
                            "description": "Add",
                            "options": [{"type": 3, "name": "name", "description": "n", "required": True}],
                        }
                    ],
                },
            ],
        },
        {"name": "Report", "type": 2, "description": ""},
    ]
    assert [d.usage for d in command_docs(raw)] == ["/nexus about", "/nexus catalog add name"]
