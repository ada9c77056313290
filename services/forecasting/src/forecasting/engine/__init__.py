"""Demand forecasting engine: backtested model selection, price/promotion aware, calibrated quantiles.

Pure code: pandas DataFrames in, a ForecastResult (and its DemandModel) out; no database, queue or
HTTP in here. forecast.py tells how a call works; demand_model.py how scenarios and drivers read
demand from the same fit.

Chunking: a call is self-contained, so the task layer may split series into chunks and run them in
parallel. The global model, the model selection per cluster, the quantile calibration and the
cold-start peers are all learned within the chunk, so chunks should hold whole categories (sort
series by category, then store) and a few hundred series or more; results then barely depend on
the chunking. Incremental re-runs: store `series_fingerprints` per series and re-run only chunks
holding a series whose fingerprint changed.
"""

import os

# LightGBM's OpenMP threads spin while idle; on a shared 2-core box that stalls training 10x or more.
# Must be set before the OpenMP runtime loads, i.e. before lightgbm is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from forecasting.engine.aggregate import aggregate_forecast
from forecasting.engine.curves import CURVE_STEPS, demand_curves
from forecasting.engine.demand_model import DemandModel, fit_demand_model, predict_demand
from forecasting.engine.elasticities import price_elasticities
from forecasting.engine.events import EventFeatures, event_features
from forecasting.engine.fingerprints import ENGINE_VERSION, series_fingerprints
from forecasting.engine.forecast import DEFAULT_CANDIDATES, ForecastResult, forecast
from forecasting.engine.global_model import FAMILIES
from forecasting.engine.memory import avoid_compaction_stalls
from forecasting.engine.panel import detect_frequency
from forecasting.engine.selection import GLOBAL_MODEL

__all__ = [
    "CURVE_STEPS",
    "DEFAULT_CANDIDATES",
    "ENGINE_VERSION",
    "FAMILIES",
    "GLOBAL_MODEL",
    "DemandModel",
    "EventFeatures",
    "ForecastResult",
    "aggregate_forecast",
    "demand_curves",
    "detect_frequency",
    "event_features",
    "fit_demand_model",
    "forecast",
    "predict_demand",
    "price_elasticities",
    "series_fingerprints",
]

# No huge-page advice for the engine's large short-lived arrays where the kernel stalls on it (memory.py).
avoid_compaction_stalls()
