"""Backup and restore of a whole installation: the database and every media blob."""
