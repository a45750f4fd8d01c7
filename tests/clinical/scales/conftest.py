"""Shared helpers for the rating-scale tests (pure core: no database)."""

import pytest


def _answers_totalling(total: int, count: int, item_max: int) -> list[int]:
    """Answers that sum to ``total``, filling items from item 1 at ``item_max`` each."""
    assert 0 <= total <= count * item_max
    answers = []
    remaining = total
    for _ in range(count):
        value = min(item_max, remaining)
        answers.append(value)
        remaining -= value
    return answers


@pytest.fixture
def answers_totalling():
    return _answers_totalling
