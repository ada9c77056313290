"""The inventory policy: the organisation's targets and cost assumptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inventory.engine.history import DEMAND_CLASSES


@dataclass
class InventoryPolicy:
    """Targets and cost assumptions that turn a demand forecast into stock levels."""

    service_level: float = 0.95  # target
    service_level_type: Literal["cycle", "fill_rate"] = "cycle"
    default_lead_time_days: int = 7
    review_period_days: int = 7
    holding_cost_rate: float = 0.25  # per year, of unit cost
    ordering_cost: float | None = None  # EOQ only when known
    excess_cover_days: int = 56
    seed: int = 0
    # Monte-Carlo paths per item; 2,000 keeps the 95% quantile's sampling error near 1%.
    n_samples: int = 2000
    # Correlation of forecast errors between the periods of one item (Gaussian copula). Errors of
    # consecutive periods share the level error, so treating them as independent understates the
    # spread of their sum. The default sits between what the forecasting engine's replay forecasts
    # show for consecutive weeks and for consecutive days (bench/RESULTS.md).
    period_correlation: float = 0.25
    # A period's spread is widened (never narrowed) until its expected absolute error matches the
    # backtest WAPE, capped at this factor.
    max_wape_widening: float = 3.0
    # Below 1 the spread is also narrowed where the backtest error is smaller than the band implies;
    # per-series backtest errors are noisy (few windows), so by default bands are only widened.
    min_wape_factor: float = 1.0
    # Multiplies every period's spread around its median after the WAPE widening. Set it from the
    # engine's own past errors over lead time + review period (calibrate_spread) where the forecast
    # band proved too narrow for the summed demand, e.g. under common demand shocks across days.
    spread_factor: float = 1.0
    # With a sales history given, items of these Syntetos-Boylan demand classes (history.py; lumpy:
    # ADI >= 1.32 and CV2 >= 0.49) take their lead time + review demand from their own totals over
    # the windows of the last `history_window_days`, when at least `min_history_windows` such
    # windows exist. The inventory task picks the classes from past windows
    # (calibration.choose_history_classes); lumpy alone until enough windows have ended.
    history_classes: tuple[str, ...] = ("lumpy",)
    history_window_days: int = 182
    min_history_windows: int = 8
    # The spread factor of the items whose demand comes from their own history, calibrated apart
    # from the forecast items' (their past errors differ in kind).
    history_spread_factor: float = 1.0

    def __post_init__(self) -> None:
        """Reject settings that have no meaning rather than computing nonsense."""
        if not 0.0 < self.service_level < 1.0:
            raise ValueError(f"service_level must be between 0 and 1 (exclusive), got {self.service_level}")
        if self.service_level_type not in ("cycle", "fill_rate"):
            raise ValueError(
                f"service_level_type must be 'cycle' or 'fill_rate', got {self.service_level_type!r}"
            )
        if self.default_lead_time_days < 0 or self.review_period_days < 0:
            raise ValueError("lead time and review period must be zero or more days")
        if self.review_period_days + self.default_lead_time_days <= 0:
            raise ValueError("lead time plus review period must be at least one day")
        if self.holding_cost_rate < 0:
            raise ValueError("holding_cost_rate must be zero or more")
        if self.ordering_cost is not None and self.ordering_cost < 0:
            raise ValueError("ordering_cost must be zero or more")
        if self.excess_cover_days < 0:
            raise ValueError("excess_cover_days must be zero or more")
        if self.n_samples < 100:
            raise ValueError("n_samples must be at least 100")
        if not 0.0 <= self.period_correlation < 1.0:
            raise ValueError("period_correlation must be in [0, 1)")
        if self.max_wape_widening < 1.0:
            raise ValueError("max_wape_widening must be at least 1")
        if not 0.0 < self.min_wape_factor <= 1.0:
            raise ValueError("min_wape_factor must be in (0, 1]")
        if not (self.spread_factor > 0.0 and self.history_spread_factor > 0.0):
            raise ValueError("spread_factor and history_spread_factor must be more than 0")
        unknown = set(self.history_classes) - set(DEMAND_CLASSES)
        if unknown:
            raise ValueError(f"history_classes has unknown demand class(es) {sorted(unknown)}")
        if self.history_window_days < 1 or self.min_history_windows < 1:
            raise ValueError("history_window_days and min_history_windows must be at least 1")
