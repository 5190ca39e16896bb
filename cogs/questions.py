"""/ask and /solved: questions get their own thread (or forum post), related learning topics, and a solved mark."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.app.checks import is_staff
from bot.app.ui import SUCCESS, clip, nexus_embed
from bot.errors import BotMissingPermissions
from bot.services.questions import THREAD_NAME_MAX, AskPlan, Question, QuestionService, thread_title
from bot.services.text import user_text
from cogs._shared import configured_channel, only_pinging

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot

log = logging.getLogger(__name__)

SOLVED_PREFIX = "✅ "
MESSAGE_LINK = re.compile(
    r"https?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/channels/(?P<guild>\d+)/(?P<channel>\d+)/(?P<message>\d+)"
)


def quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.splitlines())


class QuestionsCog(commands.Cog, name="Questions"):
    def __init__(self, bot: NexusBot) -> None:
        self.bot = bot
        self.service: QuestionService = bot.services.questions

    async def _topic_choices(
        self, interaction: discord.Interaction[NexusBot], current: str
    ) -> list[app_commands.Choice[str]]:
        found = self.bot.services.learning.autocomplete_topics(current)
        return [app_commands.Choice(name=clip(n, 100), value=v[:100]) for n, v in found[:25]]

    @app_commands.command(name="ask", description="Ask the cohort a question: it gets its own thread")
    @app_commands.describe(
        question="Your question, with what you tried (up to 1000 characters)",
        topic="Learning topic it's about (optional)",
    )
    @app_commands.autocomplete(topic=_topic_choices)
    @app_commands.guild_only()
    async def ask(
        self,
        interaction: discord.Interaction[NexusBot],
        question: app_commands.Range[str, 5, 1000],
        topic: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Open a thread for the question and suggest related learning topics."""
        assert interaction.guild is not None
        guild = interaction.guild
        plan = await self.service.ask(guild.id, interaction.user.id, question, topic)
        question, topic = plan.question, plan.topic
        parent = self._question_parent(guild, plan)
        self._check_can_ask(parent, guild.me)
        await interaction.response.defer(ephemeral=True, thinking=True)

        embed = nexus_embed(clip(f"Question: {user_text(thread_title(question))}", 256), quote(user_text(question)))
        embed.set_author(name=interaction.user.display_name, icon_url=interaction.user.display_avatar.url)
        if topic:
            embed.add_field(name="Topic", value=clip(user_text(topic), 200))
        embed.set_footer(text="Answer in this thread. The asker (or staff) runs /solved when it's answered.")
        opener = f"{interaction.user.mention} asked:"
        message: discord.Message | None = None
        only_asker = only_pinging(interaction.user)
        if isinstance(parent, discord.ForumChannel):
            created = await parent.create_thread(
                name=thread_title(question), content=opener, embed=embed, allowed_mentions=only_asker
            )
            thread = created.thread
        else:
            message = await parent.send(opener, embed=embed, allowed_mentions=only_asker)
            try:
                thread = await message.create_thread(name=thread_title(question), auto_archive_duration=1440)
            except discord.HTTPException:
                await message.delete()  # a question without its thread would only confuse
                raise
        # The row needs the thread's id, so it is written after the thread exists; if that write fails
        # (a full disk), the thread and its post go too: a thread /solved doesn't know would be a dead end.
        try:
            await self.service.recorded(plan, channel_id=parent.id, thread_id=thread.id)
        except Exception:
            await self._remove_unsaved(thread, message)
            raise
        await self._suggest_topics(thread, plan)
        await interaction.followup.send(
            f"Your question is open in {thread.mention}. When it's answered, run `/solved` there.", ephemeral=True
        )

    @app_commands.command(name="solved", description="Mark your question answered, thank the helper, archive it")
    @app_commands.describe(answer="A link to the message that answered it, or the answer in a few words")
    @app_commands.guild_only()
    async def solved(
        self, interaction: discord.Interaction[NexusBot], answer: app_commands.Range[str, 1, 1000] | None = None
    ) -> None:
        """Run inside the question's thread."""
        channel = interaction.channel
        thread = channel if isinstance(channel, discord.Thread) else None
        question = await self.service.to_solve(
            thread.id if thread else None, interaction.user.id, is_staff=lambda: is_staff(interaction)
        )
        assert thread is not None  # to_solve found the question of this thread
        helper_id, answer_text = await self._find_helper(thread, question, answer)
        await self.service.solved(question, helper_id, answer_text)
        embed = nexus_embed("✅ Solved", None, SUCCESS)
        if answer_text:
            embed.add_field(name="Answer", value=clip(user_text(answer_text), 1024), inline=False)
        thanks = f"Thanks <@{helper_id}> for helping! 🙌" if helper_id else "Thanks to everyone who helped! 🙌"
        embed.description = f"{thanks}\nThis thread is now archived; ask a new question with `/ask`."
        await interaction.response.send_message(
            thanks if helper_id else None,
            embed=embed,
            allowed_mentions=discord.AllowedMentions(
                everyone=False, roles=False, users=[discord.Object(helper_id)] if helper_id else False
            ),
        )
        try:
            await thread.edit(name=clip(SOLVED_PREFIX + thread.name, THREAD_NAME_MAX), archived=True)
        except discord.HTTPException as exc:
            log.warning("Could not archive solved question thread %s: %s", thread.id, exc)
            await interaction.followup.send(
                "Marked solved, but I couldn't archive the thread: I need Manage Threads here (ask staff).",
                ephemeral=True,
            )

    # --- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _question_parent(guild: discord.Guild, plan: AskPlan) -> discord.TextChannel | discord.ForumChannel:
        if plan.forum_channel_id:
            forum = guild.get_channel(plan.forum_channel_id)
            if isinstance(forum, discord.ForumChannel):
                return forum
            log.warning("Configured Q&A forum %s is gone; using the project channel", plan.forum_channel_id)
        return configured_channel(guild, plan.settings)

    @staticmethod
    async def _remove_unsaved(thread: discord.Thread, message: discord.Message | None) -> None:
        try:
            await thread.delete()
            if message is not None:
                await message.delete()
        except discord.HTTPException as exc:
            log.warning("Could not remove unsaved question thread %s or its post: %s", thread.id, exc)

    @staticmethod
    def _check_can_ask(parent: discord.TextChannel | discord.ForumChannel, me: discord.Member) -> None:
        perms = parent.permissions_for(me)
        needed = {
            "Send Messages": perms.send_messages,
            "Send Messages in Threads": perms.send_messages_in_threads,
            "Embed Links": perms.embed_links,
        }
        if isinstance(parent, discord.TextChannel):
            needed["Create Public Threads"] = perms.create_public_threads
        missing = [name for name, ok in needed.items() if not ok]
        if missing:
            raise BotMissingPermissions(
                f"I can't open question threads in {parent.mention}: grant me {', '.join(missing)} there (ask staff)."
            )

    async def _suggest_topics(self, thread: discord.Thread, plan: AskPlan) -> None:
        usable = await self.service.related_topics(plan)
        if not usable:
            return
        view = discord.ui.View(timeout=None)
        for slug, title in usable:
            # The learning cog answers nexus:learn:open:<slug>.
            view.add_item(
                discord.ui.Button(
                    label=clip(title, 80), style=discord.ButtonStyle.secondary, custom_id=f"nexus:learn:open:{slug}"
                )
            )
        view.stop()  # dispatched by the learning cog's DynamicItem, not by this view
        await thread.send("📘 These learning topics may help while you wait:", view=view)

    async def _find_helper(
        self, thread: discord.Thread, question: Question, answer: str | None
    ) -> tuple[int | None, str | None]:
        """Who helped: the author of the linked answer, else the latest non-bot poster other than the asker."""
        if answer and (link := MESSAGE_LINK.search(answer)):
            channel_id, message_id = int(link["channel"]), int(link["message"])
            channel = thread if channel_id == thread.id else self.bot.get_channel(channel_id)
            if isinstance(channel, discord.abc.Messageable):
                try:
                    message = await channel.fetch_message(message_id)
                except discord.HTTPException:
                    message = None
                if message is not None and not message.author.bot and message.author.id != question.asker_id:
                    excerpt = clip(message.content, 300) if message.content else ""
                    return message.author.id, f"{answer}\n{quote(excerpt)}" if excerpt else answer
        try:
            async for message in thread.history(limit=100):
                if not message.author.bot and message.author.id != question.asker_id:
                    return message.author.id, answer
        except discord.HTTPException as exc:
            log.info("Could not read thread %s history to find a helper: %s", thread.id, exc)
        return None, answer


async def setup(bot: NexusBot) -> None:
    await bot.add_cog(QuestionsCog(bot))
