"""Helpers the tests share: a real `onstream serve` process and the real PHP interpreter."""
