"""Accounts (people who log in to the API) and the people an account invites."""
