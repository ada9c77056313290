"""Pricing engine: elasticities with intervals, guarded optimal prices, explanations, a what-if simulator.

Pure code: pandas DataFrames and parameters in, DataFrames and dicts out.
"""

from pricing.engine.demand import predict_units, simulate
from pricing.engine.elasticity import EstimationSettings, estimate_elasticities
from pricing.engine.guardrails import Guardrails
from pricing.engine.suggest import OUTPUT_COLUMNS, expected_changes, suggest_prices

__all__ = [
    "OUTPUT_COLUMNS",
    "EstimationSettings",
    "Guardrails",
    "estimate_elasticities",
    "expected_changes",
    "predict_units",
    "simulate",
    "suggest_prices",
]
