"""Pairs: /match status, /match unpair, staff unblock and unpair."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.app.checks import is_staff, staff_only
from bot.app.ui import (
    clip,
    nexus_embed,
    timestamp,
)
from bot.errors import InvalidInput, NotFound
from bot.services.matching.service import Pair

if TYPE_CHECKING:
    from bot.app.nexus_bot import NexusBot
from cogs.matching._base import (
    STAFF_PAIR_PREFIX,
    MatchingBase,
    esc,
    log,
)
from cogs.matching.components import (
    UnpairConfirm,
)
from cogs.matching.requests import RequestsMixin


class PairsMixin(RequestsMixin):
    """/match status, unpair and the staff unblock/unpair."""

    # --- /match status, unpair ----------------------------------------------------------------

    @app_commands.command(name="status", description="Your matching profile, partners and open requests")
    @app_commands.guild_only()
    async def status(self, interaction: discord.Interaction[NexusBot]) -> None:
        """Where you stand: opted in or not, your partners and their threads, requests waiting."""
        guild = self.guild_of(interaction)
        settings = await self.settings_for(guild)
        now = self.bot.clock.now()
        me = await self.someone(guild, settings, interaction.user.id, now, me=True)
        profile = me.profile
        if profile is None:
            state = "Not opted in — `/match join` opts you in."
        elif profile.status == "left":
            state = "You left matching — `/match join` brings you back."
        elif profile.is_paused(now) and profile.paused_until is not None:
            state = f"Paused until {timestamp(profile.paused_until.timestamp(), 'F')}."
        else:
            state = "Opted in and looking." if profile.free_slots else "Opted in; all your partner slots are taken."
        if profile is not None:
            embed = self.profile_embed(profile, now, title="Your partner matching")
        else:
            embed = nexus_embed("Your partner matching")
        embed.description = f"{esc(me.project_label)} · {me.track}. {state}"
        pairs = await self.service.pairs_of(guild.id, me.user_id)
        lines = []
        for pair in pairs:
            partner = pair.partner_of(me.user_id)
            where = f" · <#{pair.thread_id}>" if pair.thread_id else ""
            lines.append(f"<@{partner}> since {timestamp(pair.created_at.timestamp(), 'R')}{where}")
        embed.add_field(name="Current partners", value=clip("\n".join(lines) or "None yet.", 1024), inline=False)
        requests = await self.service.pending_for(guild.id, me.user_id)
        req_lines = [
            (f"from <@{r.requester_id}>" if r.addressee_id == me.user_id else f"to <@{r.addressee_id}>")
            + f", expires {timestamp(r.expires_at.timestamp(), 'R')}"
            for r in requests
        ]
        embed.add_field(name="Open requests", value=clip("\n".join(req_lines) or "None.", 1024), inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="unpair", description="End a pairing; you are both freed and not re-suggested")
    @app_commands.describe(
        member="Which partner (if you have several); staff: any learner or pair, to end their pairing",
        reason="Why, in a few words (your partner sees it)",
    )
    @app_commands.autocomplete(member=MatchingBase.partner_autocomplete)
    @app_commands.guild_only()
    async def unpair(
        self,
        interaction: discord.Interaction[NexusBot],
        member: app_commands.Range[str, 1, 100] | None = None,
        reason: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        """End a pairing (after you confirm): both of you can be matched again, never with each other."""
        guild = self.guild_of(interaction)
        me_id = interaction.user.id
        pairs = await self.service.pairs_of(guild.id, me_id)
        if member and self.partner_pair(guild, pairs, me_id, member) is None and await is_staff(interaction):
            await self.staff_unpair(interaction, guild, member, reason)
            return
        if not pairs and not member and await is_staff(interaction):
            raise NotFound(
                "You have no partner right now. As staff, name a learner (or pick a pair as you type) with `member:` "
                "to end their pairing."
            )
        pair = self.pick_pair(guild, pairs, me_id, member)
        why = " ".join(reason.split()) if reason else ""
        partner_name = esc(self.name_of(guild, pair.partner_of(me_id)))
        because = f"\nReason your partner will read: {clip(why, 300)}" if why else ""
        view = UnpairConfirm(self, me_id, pair, why)
        await interaction.response.send_message(
            f"End your pairing with {partner_name}? They'll be told, your thread is archived, and you won't be "
            f"suggested to each other again (staff can lift that).{because}",
            view=view,
            ephemeral=True,
        )
        view.message = await interaction.original_response()

    async def end_pairing(self, interaction: discord.Interaction[Any], pair: Pair, why: str) -> None:
        """Confirmed /match unpair: end the pair, tell the partner, close the thread."""
        guild = self.guild_of(interaction, pair.guild_id)
        me_id = interaction.user.id
        ended = await self.service.unpair(pair, why)
        partner = ended.partner_of(me_id)
        me_name, partner_name = esc(self.name_of(guild, me_id)), esc(self.name_of(guild, partner))
        because = f" Reason: {esc(clip(why, 300))}" if why else ""
        await interaction.response.edit_message(
            content=f"You and {partner_name} are no longer partners; you won't be suggested to each other again. "
            "`/match suggest` shows new candidates.",
            embed=None,
            view=None,
        )
        await self.pairing_changed(guild, ended.members)
        await self.dm(
            partner,
            f"{me_name} ended your pairing.{because} You're free to be matched again: `/match suggest`.",
        )
        await self.close_pair_thread(guild, ended, f"This pairing was ended by {me_name}.{because}")

    def partner_pair(self, guild: discord.Guild, pairs: list[Pair], me_id: int, member: str) -> Pair | None:
        """Your pair with the partner typed (id, mention or name), if they are one of yours."""
        typed = member.strip().lower()
        for pair in pairs:
            partner = pair.partner_of(me_id)
            if typed in (str(partner), f"<@{partner}>") or typed == self.name_of(guild, partner).lower():
                return pair
        return None

    def pick_pair(self, guild: discord.Guild, pairs: list[Pair], me_id: int, member: str | None) -> Pair:
        if not pairs:
            raise NotFound("You have no partner right now; `/match status` shows where you stand.")
        if member:
            found = self.partner_pair(guild, pairs, me_id, member)
            if found is not None:
                return found
            raise NotFound("That member isn't one of your partners; pick one from the list as you type.")
        if len(pairs) > 1:
            names = ", ".join(esc(self.name_of(guild, p.partner_of(me_id))) for p in pairs)
            raise InvalidInput(f"You have {len(pairs)} partners ({names}); say which with `member:`.")
        return pairs[0]

    # --- staff: /match unblock, /match run, /match stats ---------------------------------------

    @app_commands.command(name="unblock", description="Staff: let two learners request and be matched again")
    @app_commands.describe(
        member="One of the two learners",
        other="The other learner (who blocked, or was blocked by, the first, or was their partner)",
    )
    @app_commands.guild_only()
    @staff_only()
    async def unblock(
        self, interaction: discord.Interaction[NexusBot], member: discord.Member, other: discord.Member
    ) -> None:
        """Lift a Block, or the block an ended pairing leaves, between two learners."""
        guild = self.guild_of(interaction)
        names = f"{esc(member.display_name)} and {esc(other.display_name)}"
        lifted = await self.service.unblock(guild.id, member.id, other.id, names)
        parts = []
        if lifted.block is not None:
            parts.append("a Block" if lifted.block.reason == "blocked" else "the block of their ended pairing")
        if lifted.cooldown:
            parts.append("the week's wait after a declined or expired request")
        await interaction.response.send_message(
            f"Lifted {' and '.join(parts)} between {names}: they can request each other now and be matched again.",
            ephemeral=True,
        )

    async def staff_unpair(
        self, interaction: discord.Interaction[NexusBot], guild: discord.Guild, member: str, reason: str | None
    ) -> None:
        """Staff end a named learner's pairing (or a pair picked from the list): both partners are told."""
        pair = await self.staff_pick_pair(guild, member)
        why = " ".join(reason.split()) if reason else ""
        ended = await self.service.unpair(pair, why, by_staff=True)
        await self.pairing_changed(guild, ended.members)
        staff_name = esc(self.name_of(guild, interaction.user.id))
        b_name, f_name = esc(self.name_of(guild, ended.backend_id)), esc(self.name_of(guild, ended.frontend_id))
        because = f" Reason: {esc(clip(why, 300))}" if why else ""
        await interaction.response.send_message(
            f"Ended the pairing of {b_name} and {f_name}; both were told by DM and won't be suggested to each "
            "other again. `/match stats` shows the pairs left.",
            ephemeral=True,
        )
        for uid in ended.members:
            partner = esc(self.name_of(guild, ended.partner_of(uid)))
            await self.dm(
                uid,
                f"Staff ({staff_name}) ended your pairing with {partner}.{because} "
                "You're free to be matched again: `/match suggest`.",
            )
        await self.close_pair_thread(guild, ended, f"This pairing was ended by staff ({staff_name}).{because}")

    async def close_pair_thread(self, guild: discord.Guild, ended: Pair, text: str) -> None:
        """Say why in the pair's thread, then archive it; a team thread stays open for the pairs left in it, and
        only the partner who is in none of them leaves it."""
        if not ended.thread_id:
            return
        staying = {uid for p in await self.service.thread_pairs(ended.thread_id) for uid in p.members}
        try:
            thread = guild.get_thread(ended.thread_id) or await guild.fetch_channel(ended.thread_id)
            if not isinstance(thread, discord.Thread):
                return
            await thread.send(text)
            if not staying:
                await thread.edit(archived=True)
                return
            for uid in ended.members:
                if uid not in staying:
                    await thread.remove_user(discord.Object(uid))
        except discord.HTTPException as exc:
            log.info("Pair %s: could not close thread %s: %s", ended.id, ended.thread_id, exc)

    async def staff_pick_pair(self, guild: discord.Guild, member: str) -> Pair:
        typed = member.strip()
        if typed.startswith(STAFF_PAIR_PREFIX) and typed[len(STAFF_PAIR_PREFIX) :].isdigit():
            pair = await self.service.get_pair(int(typed[len(STAFF_PAIR_PREFIX) :]))
            if pair is None or pair.guild_id != guild.id or pair.status != "active":
                raise NotFound("That pairing has already ended; pick a pair from the list as you type `member:`.")
            return pair
        digits = typed.removeprefix("<@").removeprefix("!").removesuffix(">")
        found = guild.get_member(int(digits)) if digits.isdigit() else None
        if found is None:
            low = typed.lower().removeprefix("@")
            found = next(
                (m for m in guild.members if low in (m.display_name.lower(), m.name.lower()) and not m.bot), None
            )
        if found is None:
            raise NotFound(
                f"No member of this server is called `{clip(esc(typed), 50)}`; pick a learner or pair from the list "
                "as you type `member:`."
            )
        pairs = await self.service.pairs_of(guild.id, found.id)
        name = esc(found.display_name)
        if not pairs:
            raise NotFound(
                f"{name} has no partner right now, so there is no pairing to end; `/match stats` shows pairs."
            )
        if len(pairs) > 1:
            partners = ", ".join(esc(self.name_of(guild, p.partner_of(found.id))) for p in pairs)
            raise InvalidInput(
                f"{name} has {len(pairs)} partners ({partners}); pick the pair to end from the list as you type "
                f"`member:` (type {name}'s name)."
            )
        return pairs[0]
