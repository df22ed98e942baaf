"""The distributions the demo draws from, all on one seeded `random.Random`."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

T = TypeVar("T")
CENT = Decimal("0.01")


class Draw:
    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def uniform(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    def integer(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def weighted(self, pairs: Sequence[tuple[T, float]]) -> T:
        items = [item for item, _ in pairs]
        return self.rng.choices(items, weights=[w for _, w in pairs])[0]

    def sample(self, items: Sequence[T], count: int) -> list[T]:
        return self.rng.sample(list(items), min(count, len(items)))

    def weighted_sample(self, items: Sequence[T], weights: Sequence[float], count: int) -> list[T]:
        """`count` distinct items, heavier ones likelier (Efraimidis-Spirakis keys)."""
        keyed = [(self.rng.random() ** (1 / w), i) for i, w in enumerate(weights) if w > 0]
        keyed.sort(reverse=True)
        return [items[i] for _, i in keyed[:count]]

    def minutes(self, median: float, sigma: float, low: float, high: float) -> timedelta:
        """A log-normal duration in whole seconds: long right tail, clipped to [low, high]."""
        value = median * math.exp(self.rng.gauss(0, sigma))
        return timedelta(seconds=round(60 * min(high, max(low, value))))

    def seconds(self, low: int, high: int) -> timedelta:
        return timedelta(seconds=self.rng.randint(low, high))

    def money(self, low: float, high: float, step: str = "0.50") -> Decimal:
        unit = Decimal(step)
        value = Decimal(str(self.rng.uniform(low, high))) / unit
        return (value.quantize(Decimal(1), ROUND_HALF_UP) * unit).quantize(CENT)
