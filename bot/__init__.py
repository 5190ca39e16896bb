"""Nexus Bot: the collaboration bot for #ProDevProjectNexus.

Kept free of imports so that `bot.services` and `bot.errors` load without discord.py.
"""

__version__ = "0.1.0"
