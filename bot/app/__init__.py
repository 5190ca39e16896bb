"""The discord-bound runtime that sits above the cogs: the client, its command tree and error handler,
staff checks, shared UI pieces and staff alerts. Everything else in `bot/` is discord-free and sits below
the cogs (`bot/services`, errors, clock, config, scheduler)."""
