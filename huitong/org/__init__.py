"""Organisations and people: regions at each administrative level, departments, users, tokens."""
