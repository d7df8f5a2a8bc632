"""Tickets: the records requesters create and agents work."""
