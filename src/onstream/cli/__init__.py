"""The `onstream` command line: serve, db upgrade, user add, user passwd."""

from onstream.cli.main import main

__all__ = ["main"]
