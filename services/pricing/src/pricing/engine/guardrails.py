"""Business guardrails on suggested prices: margin floor, step size, price endings, confidence."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

CONFIDENCE_ORDER = ("insufficient", "low", "medium", "high")


@dataclass
class Guardrails:
    """Retailer rules every suggested price obeys (per organization, optionally per category)."""

    objective: Literal["profit", "revenue"] = "profit"
    max_change_pct: float = 10.0  # per step
    min_margin_pct: float = 5.0  # price >= unit_cost * (1 + min_margin_pct/100)
    assumed_margin_pct: float = 30.0  # markup over cost assumed when unit cost is unknown
    # Allowed fractional endings: 0.99 means x.99. An ending below 0.10 applies to the dimes:
    # 0.09 allows x.09, x.19, ..., x.99 ("ends in 9").
    price_endings: tuple[float, ...] = (0.99, 0.49)
    min_confidence: str = "medium"  # no move below this

    def __post_init__(self) -> None:
        if self.objective not in ("profit", "revenue"):
            raise ValueError(f"objective must be 'profit' or 'revenue', got {self.objective!r}")
        if self.min_confidence not in CONFIDENCE_ORDER:
            raise ValueError(
                f"min_confidence must be one of {', '.join(CONFIDENCE_ORDER)}, got {self.min_confidence!r}"
            )
        if not 0 < self.max_change_pct < 100:
            raise ValueError(f"max_change_pct must be between 0 and 100, got {self.max_change_pct}")
        if self.min_margin_pct < 0 or self.assumed_margin_pct <= 0:
            raise ValueError("min_margin_pct must be >= 0 and assumed_margin_pct > 0")
        self.price_endings = tuple(float(ending) for ending in self.price_endings)
        if any(not 0 <= ending < 1 for ending in self.price_endings):
            raise ValueError(f"price endings are fractions of a unit in [0, 1), got {self.price_endings}")

    def allows(self, confidence: str) -> bool:
        """True when an elasticity of this confidence may move a price."""
        return CONFIDENCE_ORDER.index(confidence) >= CONFIDENCE_ORDER.index(self.min_confidence)

    def price_floor(self, unit_cost: float) -> float:
        """Lowest allowed price: unit cost plus the minimum margin."""
        return unit_cost * (1 + self.min_margin_pct / 100)

    def describe_endings(self) -> str:
        """Human-readable list of price endings, e.g. '.99/.49'."""
        return "/".join(_format_ending(ending) for ending in self.price_endings) or "any"


def _format_ending(ending: float) -> str:
    return f"x{ending:.2f}"[1:].replace("0.0", ".x") if ending < 0.1 else f"{ending:.2f}"[1:]


def resolve_guardrails(
    base: Guardrails, category: str, overrides: Mapping[str, Guardrails | Mapping[str, Any]] | None
) -> Guardrails:
    """Guardrails for one category: a full Guardrails override, or a partial dict merged over the base."""
    if not overrides:
        return base
    override = overrides.get(category)
    if override is None:
        lowered = {str(key).lower(): value for key, value in overrides.items()}
        override = lowered.get(category.lower())
    if override is None:
        return base
    if isinstance(override, Guardrails):
        return override
    return dataclasses.replace(base, **dict(override))


def candidate_prices(
    current_price: float, lower: float, upper: float, endings: tuple[float, ...]
) -> np.ndarray:
    """Prices within [lower, upper] with an allowed ending (every cent when no endings are set)."""
    if upper < lower:
        return np.empty(0)
    if not endings:
        cents = np.arange(math.ceil(round(lower * 100, 6)), math.floor(round(upper * 100, 6)) + 1)
        return cents / 100.0
    found: list[float] = []
    for ending in endings:
        step = 0.1 if ending < 0.1 else 1.0
        first = math.floor((lower - ending) / step)
        last = math.ceil((upper - ending) / step)
        found.extend(round(index * step + ending, 2) for index in range(first, last + 1))
    prices = np.unique(np.array(found))
    return prices[(prices >= lower - 1e-9) & (prices <= upper + 1e-9) & (prices > 0)]
