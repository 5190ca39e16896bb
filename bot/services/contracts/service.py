"""ContractService: /api publish, need, template, status and the Acknowledge button, without Discord.

A contract belongs to a Backend learner (one per guild); it lives in the thread of each of their pairs (a team
thread is shared by several pairs: each Backend partner's contract is posted there on its own). Partners come from
the matching service (`pairs_of`): the Backend side publishes, the Frontend side states needs and acknowledges
breaking versions. Uploads are checked in a worker process (`validation.ValidationPool`), never on the event loop.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from bot.clock import Clock
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.services.contracts import templates
from bot.services.contracts.diff import ContractDiff
from bot.services.contracts.document import MAX_BYTES, ApiDocument, ContractRejected
from bot.services.contracts.paths import (
    Need,
    NeedState,
    NeedStatus,
    endpoint_choices,
    needs_status,
    normalise_method,
    normalise_path,
    same_shape,
)
from bot.services.contracts.summary import ContractSummary, summarise
from bot.services.contracts.validation import ValidationPool, stored_document
from bot.services.matching.service import MatchingService, Pair
from bot.services.text import clean_line
from db.database import Database
from db.stores.contracts import (
    Contract,
    ContractPost,
    ContractStore,
    ContractVersion,
    NewVersion,
    StoredChange,
    StoredNeed,
)

__all__ = [
    "Acknowledged",
    "Contract",
    "ContractCounts",
    "ContractPost",
    "ContractService",
    "ContractVersion",
    "NeedAdded",
    "PartnerContract",
    "Published",
    "StoredNeed",
    "contracts_text",
    "needs_text",
]

MAX_NEEDS = 50
NOTE_MAX = 200
ALLOWED_SUFFIXES = (".json", ".yaml", ".yml")

NO_PARTNER = (
    "You have no partner yet, so there is no thread for a contract. Find one with `/match suggest` or "
    "`/match request`; once you are paired, the Backend partner publishes with `/api publish`."
)


def shown_name(filename: str) -> str:
    return clean_line(filename).replace("`", "ˋ")[:80] or "the file"


@dataclass(frozen=True)
class Published:
    contract: Contract
    version: ContractVersion
    summary: ContractSummary
    diff: ContractDiff | None
    # Thread id → the Frontend partners of this Backend learner in that thread (a team thread has one).
    threads: dict[int, tuple[int, ...]]
    posts: dict[int, ContractPost]
    unthreaded: tuple[int, ...] = ()  # Frontend partners whose pair has no thread (yet)


@dataclass(frozen=True)
class PartnerContract:
    """One Backend learner's contract as its partners see it."""

    backend_id: int
    frontend_ids: tuple[int, ...]
    project: str
    thread_ids: tuple[int, ...]
    contract: Contract | None
    latest: ContractVersion | None
    endpoint_count: int
    needs: dict[int, list[NeedStatus]] = field(default_factory=dict)  # per Frontend partner
    unacknowledged: dict[int, list[ContractVersion]] = field(default_factory=dict)  # breaking versions not acked


@dataclass(frozen=True)
class NeedAdded:
    need: StoredNeed
    new: bool
    # Per Backend partner: the need against their latest contract, and the threads to post it in.
    against: list[tuple[int, NeedStatus]]
    thread_ids: tuple[int, ...]


@dataclass(frozen=True)
class ContractCounts:
    """Counts for /match stats and the digest (issue 14): contracts published and the needs they meet."""

    contracts: int  # Backend learners with a published contract
    versions: int  # versions published, all contracts together
    groups: int  # current pairs and team threads (a team thread, shared by several pairs, counts once)
    groups_with_contract: int  # of those, the ones where a Backend partner has published
    needs_met: int  # as /api status shows them: each need against each current partner's latest contract
    needs_missing: int

    @property
    def any(self) -> bool:
        return bool(self.contracts or self.needs_met or self.needs_missing)


def contracts_text(counts: ContractCounts) -> str:
    """`2 published (3 versions) · pairs/teams with one: 1 of 2`; a dash before any contract."""
    if counts.contracts == 0:
        return "— (none published yet)"
    versions = f"{counts.versions} version{'s' if counts.versions != 1 else ''}"
    return (
        f"{counts.contracts} published ({versions}) · pairs/teams with one: "
        f"{counts.groups_with_contract} of {counts.groups}"
    )


def needs_text(counts: ContractCounts) -> str:
    """`3 met · 1 missing`; a dash before any need is listed."""
    if counts.needs_met + counts.needs_missing == 0:
        return "— (no need listed yet)"
    return f"{counts.needs_met} met · {counts.needs_missing} missing"


@dataclass(frozen=True)
class Acknowledged:
    contract: Contract
    number: int
    new: bool


# Said to a learner who runs the other track's /api command: what their partner's track does instead.
_OTHER_TRACK_DOES = {
    "backend": "Only the Backend partner publishes the API contract. As the Frontend partner, say what your "
    "screens need with `/api need`, and see your partner's contract with `/api status`.",
    "frontend": "`/api need` is for the Frontend partner, to say what their screens need. As the Backend "
    "partner, publish the contract with `/api publish` (start from `/api template`).",
}


class ContractService:
    def __init__(self, db: Database, clock: Clock, matching: MatchingService, pool: ValidationPool | None = None):
        self.store = ContractStore(db)
        self.clock = clock
        self.matching = matching
        self.pool = pool or ValidationPool()
        # Parsed latest documents by version id (autocomplete asks on every keystroke).
        self._documents: OrderedDict[int, ApiDocument] = OrderedDict()

    def close(self) -> None:
        self.pool.close()

    # --- who is whose partner -------------------------------------------------------------------------------------

    async def backend_pairs(self, guild_id: int, user_id: int) -> list[Pair]:
        """The caller's pairs as the Backend partner, or a refusal saying who publishes."""
        return await self._pairs_as("backend", guild_id, user_id)

    async def frontend_pairs(self, guild_id: int, user_id: int) -> list[Pair]:
        return await self._pairs_as("frontend", guild_id, user_id)

    async def _pairs_as(self, track: str, guild_id: int, user_id: int) -> list[Pair]:
        """The caller's pairs in which they are on `track`; paired only on the other track, what that partner does."""
        pairs = await self.matching.pairs_of(guild_id, user_id)
        mine = [pair for pair in pairs if (pair.backend_id if track == "backend" else pair.frontend_id) == user_id]
        if mine:
            return mine
        if pairs:
            raise Forbidden(_OTHER_TRACK_DOES[track])
        raise NotFound(NO_PARTNER)

    @staticmethod
    def check_upload(filename: str, size: int) -> None:
        """What can be refused before downloading anything: the size Discord reports and the file's name."""
        name = shown_name(filename)
        if size > MAX_BYTES:
            raise ContractRejected(
                f"`{name}` is {size / MAX_BYTES:.1f} MB; a contract can be at most 1 MB. Upload the OpenAPI "
                "document alone (JSON or YAML), without bundled examples or assets."
            )
        if not filename.lower().endswith(ALLOWED_SUFFIXES):
            raise ContractRejected(
                f"`{name}` isn't a `.json`, `.yaml` or `.yml` file. Export the contract as JSON or YAML "
                "(drf-spectacular: `python manage.py spectacular --file schema.yaml`; FastAPI: save `/openapi.json`)."
            )

    # --- publish -------------------------------------------------------------------------------------------------

    async def publish(self, guild_id: int, backend_id: int, data: bytes, filename: str) -> Published:
        """Check the upload (off the loop), diff it with the previous version and store it as the next version.

        Nothing is stored unless the document is valid. The caller posts or edits the pinned post of each thread.
        """
        pairs = await self.backend_pairs(guild_id, backend_id)
        self.check_upload(filename, len(data))
        contract = await self.store.contract_of(guild_id, backend_id)
        previous = await self.store.latest(contract.id) if contract is not None else None
        checked = await self.pool.check(
            data, filename, previous.document if previous else None, previous.size if previous else 0
        )
        document = checked.document
        diff_changes = checked.diff.changes if checked.diff else ()
        changes = tuple(StoredChange(c.code.value, c.text, c.breaking) for c in diff_changes)
        new = NewVersion(
            title=document.title,
            api_version=document.version,
            openapi=document.openapi,
            filename=clean_line(filename)[:200] or "contract",
            format=document.format,
            size=document.size,
            document=checked.text,
            changes=changes,
        )
        contract, version = await self.store.add_version(
            guild_id, backend_id, pairs[0].project, new, self.clock.now(), expected=previous.number if previous else 0
        )
        self._remember(version.id, document)
        threads: dict[int, tuple[int, ...]] = {}
        for pair in pairs:
            if pair.thread_id is not None:
                threads[pair.thread_id] = (*threads.get(pair.thread_id, ()), pair.frontend_id)
        unthreaded = tuple(pair.frontend_id for pair in pairs if pair.thread_id is None)
        return Published(
            contract=contract,
            version=version,
            summary=summarise(document),
            diff=checked.diff,
            threads=threads,
            posts=await self.store.posts(contract.id),
            unthreaded=unthreaded,
        )

    async def record_post(self, contract_id: int, thread_id: int, message_id: int, pinned: bool) -> None:
        await self.store.set_post(contract_id, thread_id, message_id, pinned)

    # --- documents -----------------------------------------------------------------------------------------------

    def _remember(self, version_id: int, document: ApiDocument) -> None:
        self._documents[version_id] = document
        self._documents.move_to_end(version_id)
        while len(self._documents) > 8:
            self._documents.popitem(last=False)

    async def _latest_document(self, contract: Contract | None) -> tuple[ContractVersion | None, ApiDocument | None]:
        if contract is None:
            return None, None
        head = await self.store.latest(contract.id, with_document=False)
        if head is None:
            return None, None
        cached = self._documents.get(head.id)
        if cached is not None:
            return head, cached
        full = await self.store.latest(contract.id)
        assert full is not None
        document = stored_document(full.document, full.size, full.format)
        self._remember(full.id, document)
        return head, document

    async def latest_summary(self, guild_id: int, backend_id: int) -> tuple[Contract, ContractVersion, ContractSummary]:
        """The latest version of a contract and what its pinned post shows (a re-render after a restart)."""
        contract = await self.store.contract_of(guild_id, backend_id)
        head, document = await self._latest_document(contract)
        if contract is None or head is None or document is None:
            raise NotFound("That Backend learner hasn't published a contract yet.")
        return contract, head, summarise(document)

    async def latest_numbers(self, guild_id: int, backend_ids: list[int]) -> dict[int, int | None]:
        """Each Backend learner's latest version number (None: nothing published yet)."""
        numbers: dict[int, int | None] = {}
        for backend_id in backend_ids:
            contract = await self.store.contract_of(guild_id, backend_id)
            head = await self.store.latest(contract.id, with_document=False) if contract is not None else None
            numbers[backend_id] = head.number if head is not None else None
        return numbers

    async def partner_ids(self, guild_id: int, user_id: int) -> set[int]:
        return {pair.partner_of(user_id) for pair in await self.matching.pairs_of(guild_id, user_id)}

    # --- needs ---------------------------------------------------------------------------------------------------

    async def add_need(self, guild_id: int, frontend_id: int, method: str, path: str, note: str = "") -> NeedAdded:
        pairs = await self.frontend_pairs(guild_id, frontend_id)
        wanted_method = normalise_method(method)
        wanted_path = normalise_path(path)
        cleaned = clean_line(note)
        if len(cleaned) > NOTE_MAX:
            raise InvalidInput(f"`note` is {len(cleaned)} characters; keep it to {NOTE_MAX}.")
        existing = await self.store.needs_of(guild_id, frontend_id)
        same = next((n for n in existing if n.method == wanted_method and same_shape(n.path, wanted_path)), None)
        if same is not None:
            wanted_path = same.path  # `/products/{pk}` is the need `/products/{id}` already noted
        elif len(existing) >= MAX_NEEDS:
            raise InvalidInput(
                f"You have {MAX_NEEDS} needs already, the most one learner can list; each stays until your "
                "partner's contract meets it."
            )
        need, new = await self.store.add_need(
            guild_id, frontend_id, wanted_method, wanted_path, cleaned, self.clock.now()
        )
        against: list[tuple[int, NeedStatus]] = []
        for backend_id in dict.fromkeys(pair.backend_id for pair in pairs):
            _, document = await self._latest_document(await self.store.contract_of(guild_id, backend_id))
            [status] = needs_status([Need(need.method, need.path, need.note)], document)
            against.append((backend_id, status))
        threads = tuple(dict.fromkeys(pair.thread_id for pair in pairs if pair.thread_id is not None))
        return NeedAdded(need, new, against, threads)

    async def path_choices(self, guild_id: int, user_id: int, current: str, method: str | None) -> list[str]:
        """`/api need path` autocomplete: the partners' latest contracts first, then their project's template."""
        pairs = [pair for pair in await self.matching.pairs_of(guild_id, user_id) if pair.frontend_id == user_id]
        wanted = method.upper() if method and method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"} else None
        found: list[str] = []
        template_keys = set(templates.template_keys())
        for pair in pairs:
            _, document = await self._latest_document(await self.store.contract_of(guild_id, pair.backend_id))
            reference = templates.load_template(pair.project) if pair.project in template_keys else None
            for choice in endpoint_choices(document, reference, current, wanted):
                if choice not in found:
                    found.append(choice)
        if not pairs:
            # Not partnered yet: still show the shapes the reference contracts use.
            for key in sorted(template_keys):
                for choice in endpoint_choices(None, templates.load_template(key), current, wanted):
                    if choice not in found:
                        found.append(choice)
        return found[:25]

    # --- status --------------------------------------------------------------------------------------------------

    async def status(self, guild_id: int, member_id: int) -> list[PartnerContract]:
        """The contracts `member_id` takes part in: their own (Backend) or their partners' (Frontend)."""
        pairs = await self.matching.pairs_of(guild_id, member_id)
        if not pairs:
            raise NotFound(NO_PARTNER)
        by_backend: dict[int, list[Pair]] = {}
        for pair in pairs:
            by_backend.setdefault(pair.backend_id, []).append(pair)
        result = []
        for backend_id, group in by_backend.items():
            contract = await self.store.contract_of(guild_id, backend_id)
            head, document = await self._latest_document(contract)
            frontends = tuple(dict.fromkeys(pair.frontend_id for pair in group))
            needs: dict[int, list[NeedStatus]] = {}
            unacknowledged: dict[int, list[ContractVersion]] = {}
            versions = await self.store.versions(contract.id) if contract is not None else []
            for frontend_id in frontends:
                stored = await self.store.needs_of(guild_id, frontend_id)
                needs[frontend_id] = needs_status([Need(n.method, n.path, n.note) for n in stored], document)
                if contract is not None:
                    acked = await self.store.acknowledged(contract.id, frontend_id)
                    unacknowledged[frontend_id] = [v for v in versions if v.breaking and v.number > acked]
            result.append(
                PartnerContract(
                    backend_id=backend_id,
                    frontend_ids=frontends,
                    project=group[0].project,
                    thread_ids=tuple(dict.fromkeys(p.thread_id for p in group if p.thread_id is not None)),
                    contract=contract,
                    latest=head,
                    endpoint_count=len(summarise(document).endpoints) if document is not None else 0,
                    needs=needs,
                    unacknowledged=unacknowledged,
                )
            )
        return result

    async def counts(self, guild_id: int) -> ContractCounts:
        """Contracts published and needs met or missing across the guild's current pairs (counts only)."""
        published = await self.store.published_in(guild_id)
        pairs = await self.matching.guild_pairs(guild_id)
        groups: dict[tuple[str, int], bool] = {}
        for pair in pairs:
            key = ("thread", pair.thread_id) if pair.thread_id is not None else ("pair", pair.id)
            groups[key] = groups.get(key, False) or pair.backend_id in published
        needs_by_frontend: dict[int, list[Need]] = {}
        for stored in await self.store.needs_in(guild_id):
            needs_by_frontend.setdefault(stored.frontend_id, []).append(Need(stored.method, stored.path, stored.note))
        met = missing = 0
        for pair in pairs:
            needs = needs_by_frontend.get(pair.frontend_id)
            if not needs:
                continue
            document = None
            if pair.backend_id in published:
                _, document = await self._latest_document(await self.store.contract_of(guild_id, pair.backend_id))
            for status in needs_status(needs, document):
                met += status.state is NeedState.MET
                missing += status.state is NeedState.MISSING
        return ContractCounts(
            contracts=len(published),
            versions=sum(published.values()),
            groups=len(groups),
            groups_with_contract=sum(groups.values()),
            needs_met=met,
            needs_missing=missing,
        )

    async def acknowledge(self, contract_id: int, number: int, user_id: int) -> Acknowledged:
        """A Frontend partner acknowledges a contract's breaking changes up to version `number`."""
        contract = await self.store.get(contract_id)
        if contract is None:
            raise NotFound("That contract no longer exists.")
        pairs = await self.matching.pairs_of(contract.guild_id, user_id)
        if not any(pair.backend_id == contract.backend_id and pair.frontend_id == user_id for pair in pairs):
            raise Forbidden(
                "Only the Frontend partner of this contract's author can acknowledge its changes; "
                "see your own partners' contracts with `/api status`."
            )
        new = await self.store.acknowledge(contract_id, user_id, number, self.clock.now())
        return Acknowledged(contract, number, new)

    # --- templates -----------------------------------------------------------------------------------------------

    @staticmethod
    def template(key: str) -> tuple[templates.TemplateInfo, bytes, ContractSummary]:
        info = next((t for t in templates.list_templates() if t.key == key), None)
        if info is None:
            templates.template_bytes(key)  # raises NotFound with the nearest key
            raise NotFound(f"There is no reference contract for `{key[:40]}`.")
        return info, templates.template_bytes(key), summarise(templates.load_template(key))

    @staticmethod
    def template_choices(current: str) -> list[str]:
        typed = clean_line(current).lower()
        keys = templates.template_keys()
        return [k for k in keys if typed in k] or keys

    def now(self) -> datetime:
        return self.clock.now()
