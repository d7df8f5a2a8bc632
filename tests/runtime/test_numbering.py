"""Ticket numbers: unique and increasing, also when many transactions take them at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from core.db import make_sessionmaker
from runtime.tickets.numbering import next_ticket_number


def test_numbering_concurrent_transactions_never_share_a_number(engine):
    """Eight threads taking 25 numbers each in their own transactions get 200 distinct ones."""
    factory = make_sessionmaker(engine)

    def take(_worker: int) -> list[int]:
        numbers = []
        for _ in range(25):
            with factory() as session:
                numbers.append(next_ticket_number(session))
                session.commit()
        return numbers

    with ThreadPoolExecutor(max_workers=8) as pool:
        taken = [n for chunk in pool.map(take, range(8)) for n in chunk]
    assert len(taken) == len(set(taken)) == 200
    assert min(taken) > 1000

