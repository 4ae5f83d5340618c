"""`python -m bot` runs the paperboy CLI."""

from bot.app.cli import main

main()
