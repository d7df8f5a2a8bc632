"""Shared kernel: the SQLAlchemy base, people and teams, the error tree, the clock."""
