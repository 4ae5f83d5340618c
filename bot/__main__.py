"""`python -m bot` runs the paperboy CLI."""

from bot.cli import main

main()
