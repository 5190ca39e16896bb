"""The web app on a real migrated SQLite file with a seeded cohort, through aiohttp's test client.

Every JSON response a test reads through `Api.get` is checked against the OpenAPI document the app serves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate

from bench._web_seed import Seeded, seed_cohort
from bot.clock import ManualClock
from bot.services.container import Services
from bot.web.app import RateLimiter, create_app
from db.database import Database

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
GUILD = 111_111_111_111_111_111
SECRET = "web-test-secret-" + "k" * 32
LEARNERS = 60


@dataclass
class Api:
    client: TestClient[Any, Any]
    services: Services
    clock: ManualClock
    seeded: Seeded
    document: dict[str, Any]

    def operation(self, template: str) -> dict[str, Any]:
        return self.document["paths"][template]["get"]

    def check(self, template: str, response: ClientResponse, body: Any) -> None:
        """The response matches what the document says of this path and status."""
        declared = self.operation(template)["responses"].get(str(response.status))
        assert declared is not None, f"{template} answered {response.status}, which the document does not declare"
        if response.status == 304:
            return
        schema = declared["content"]["application/json"]["schema"]
        jsonschema.Draft202012Validator({**self.document, **schema}).validate(body)

    async def get(self, path: str, template: str, *, status: int = 200, **kwargs: Any) -> Any:
        async with self.client.get(path, **kwargs) as response:
            body = await response.json() if response.status != 304 else None
            assert response.status == status, (path, response.status, body)
            self.check(template, response, body)
            return body


async def make_api(tmp_path: Path, limiter: RateLimiter | None = None, learners: int = LEARNERS) -> AsyncIterator[Api]:
    async with Database(tmp_path / "web.db") as db:
        await db.migrate()
        clock = ManualClock(NOW)
        services = Services.build(db, clock)
        await services.learning.sync_shipped()
        seeded = await seed_cohort(services, GUILD, learners, NOW)
        app = create_app(services, clock, secret=SECRET, limiter=limiter or RateLimiter(rate=10_000, burst=10_000))
        async with TestClient(TestServer(app)) as client:
            async with client.get("/api/v1/openapi.json") as response:
                document = await response.json()
            validate(document)
            yield Api(client, services, clock, seeded, document)


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[Api]:
    async for made in make_api(tmp_path):
        yield made
