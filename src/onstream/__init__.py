"""Onstream: a self-hostable server that speaks the Onstream API v2."""

__version__ = "0.1.0"
