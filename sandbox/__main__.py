"""``python -m sandbox [--port N] [--learners N] [--token-ttl S]``: serve until Ctrl-C, print the bot env."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from sandbox.server import SandboxServer
from sandbox.world import World

logger = logging.getLogger(__name__)


async def serve(port: int, learners: int, rate_limits: bool, token_ttl: float = 15 * 60) -> None:
    world = World.default()
    if learners:
        world.add_learners(learners)
    server = SandboxServer(world, port=port, rate_limits=rate_limits, token_ttl=token_ttl)
    await server.start()
    print(f"DISCORD_TOKEN={server.token}")
    print(f"DISCORD_GUILD_ID={world.guild.id}")
    print(f"DISCORD_API_BASE={server.api_base}")
    print(f"DISCORD_GATEWAY_URL={server.gateway_url}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--learners", type=int, default=0, help="add N generated members")
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument(
        "--token-ttl", type=float, default=15 * 60, help="interaction token lifetime in seconds (Discord: 900)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args.port, args.learners, not args.no_rate_limits, args.token_ttl))


if __name__ == "__main__":
    main()
