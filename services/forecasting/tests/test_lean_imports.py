"""The default runtime path stays lean: Prophet (and the bench's statsforecast) load only on request."""

from __future__ import annotations

import json
import subprocess
import sys

# Imports the service's app and worker tasks and runs a default forecast, in a fresh interpreter,
# then prints which of the heavy optional modules got imported along the way.
DEFAULT_PATH = """
import json, sys
import numpy as np, pandas as pd
import forecasting.main, forecasting.tasks
from forecasting.engine import forecast

rng = np.random.default_rng(0)
dates = pd.date_range("2024-01-01", periods=140, freq="D")
history = pd.concat(
    pd.DataFrame({"store": "S1", "sku": f"P{i}", "date": dates, "quantity": rng.poisson(5.0 + i, len(dates)),
                  "unit_price": 10.0, "promotion": 0.0})
    for i in range(6)
)
result = forecast(history, 14)
assert len(result.points) == 6 * 14, len(result.points)
print(json.dumps(sorted(m for m in ("prophet", "cmdstanpy", "statsforecast") if m in sys.modules)))
"""


def test_importing_the_service_and_a_default_forecast_do_not_import_prophet() -> None:
    result = subprocess.run(
        [sys.executable, "-c", DEFAULT_PATH], capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_prophet_candidate_does_import_it() -> None:
    """The check above can fail: asking for Prophet loads it through the same path."""
    code = DEFAULT_PATH.replace(
        "forecast(history, 14)", "forecast(history, 14, candidates=['ets', 'prophet'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "prophet" in json.loads(result.stdout.strip().splitlines()[-1])
