"""`nexus-bot web`: the staff dashboard and the public read-only API, a process of its own beside the bot.

Discord-free: it reads through the same services as the cogs (bot/services/container.py), never its own SQL.
`links` (signed dashboard links and session cookies) is imported by the bot too, so this package imports nothing.
"""
