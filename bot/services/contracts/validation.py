"""Checking an upload off the event loop: `load_document` and the diff run in a separate process, with a timeout.

openapi-spec-validator is CPU-bound (seconds for a 1 MB document, `python -m bench.contracts`): in the bot's
process it would stall every other interaction. Here it runs in a one-worker process pool (spawned, not forked:
the bot has threads), one upload at a time, each in a fresh process that ends with it, so a large document's
memory goes back to the system and nothing idles between uploads. An upload still running after `timeout` seconds
is refused and its process killed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.services.contracts.diff import ContractDiff, diff_contracts
from bot.services.contracts.document import ApiDocument, ContractRejected, load_document
from bot.services.text import clean_line

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Checked:
    """A validated upload, its JSON text (as stored) and what changed since the previous version."""

    document: ApiDocument
    text: str
    diff: ContractDiff | None


def stored_document(text: str, size: int, fmt: str = "json") -> ApiDocument:
    """A version read back from the database: it was validated when it was published."""
    spec: dict[str, Any] = json.loads(text)
    info = spec.get("info") if isinstance(spec.get("info"), dict) else {}
    assert isinstance(info, dict)
    return ApiDocument(
        spec=spec,
        openapi=str(spec.get("openapi", "3.1.0")),
        title=str(info.get("title") or "Untitled API"),
        version=str(info.get("version") or "?"),
        format="yaml" if fmt == "yaml" else "json",
        size=size,
    )


def check_upload(data: bytes, filename: str, previous: str | None, previous_size: int = 0) -> Checked:
    """Runs in the worker: load and validate the upload, then diff it against the previous version's JSON."""
    document = load_document(data, filename)
    text = json.dumps(document.spec, separators=(",", ":"), ensure_ascii=False)
    old = stored_document(previous, previous_size) if previous is not None else None
    return Checked(document, text, diff_contracts(old, document) if old is not None else None)


class ValidationPool:
    """One upload checked at a time in a worker process; a check over `timeout` seconds is refused and killed."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._lock = asyncio.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # Imported with the first upload: multiprocessing costs the bot about 2 MB it needs only then.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._executor

    def _retire(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)

    def _kill(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        # ProcessPoolExecutor cannot cancel a running task (3.14 adds terminate_workers()): end its process.
        for process in list(getattr(executor, "_processes", {}).values()):
            process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    async def check(self, data: bytes, filename: str, previous: str | None, previous_size: int = 0) -> Checked:
        from concurrent.futures.process import BrokenProcessPool  # imported by _pool already

        shown = clean_line(filename).replace("`", "ˋ")[:80] or "the file"
        async with self._lock:  # the timeout counts the check itself, not the wait behind another upload
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._pool(), check_upload, data, filename, previous, previous_size)
            try:
                return await asyncio.wait_for(future, self.timeout)
            except TimeoutError:
                log.warning("contract %r: validation over %.0f s, stopped", filename, self.timeout)
                self._kill()
                raise ContractRejected(
                    f"Checking `{shown}` took longer than {self.timeout:.0f} seconds, so it was stopped. "
                    "Upload the contract without bundled examples, or split off parts your partner doesn't use."
                ) from None
            except BrokenProcessPool:
                log.exception("contract %r: the validation process died", filename)
                self._kill()
                raise ContractRejected(
                    f"Checking `{shown}` failed (the checker ran out of memory?). Try again; if it keeps "
                    "failing, upload a smaller export."
                ) from None
            finally:
                self._retire()  # the worker ends with its upload: nothing idles between uploads (publishing is rare)

    def close(self) -> None:
        self._kill()
