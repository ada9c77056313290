"""CLV models: CDNOW parameters against the published ones, simulation checks, edge cases."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import approx_fprime

from segmentation.engine.cdnow import (
    CALIBRATION_END,
    PUBLISHED_BGNBD,
    PUBLISHED_GAMMA_GAMMA,
    PUBLISHED_REPEAT_CUSTOMERS,
    SAMPLE_COLUMNS,
    SAMPLE_FILE,
    calibration_summary,
    sample_transactions,
)
from segmentation.engine.clv import (
    BGNBDParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood_and_gradient,
    bgnbd_p_alive,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)

PAPER = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n_customers=0, converged=True)


def _cdnow_path() -> Path:
    return Path(str(importlib.metadata.distribution("lifetimes").locate_file(SAMPLE_FILE)))


def _cdnow_available() -> bool:
    try:
        return _cdnow_path().is_file()
    except Exception:
        return False


def read_cdnow_sample() -> pd.DataFrame:
    """The CDNOW sample's transactions, read from the lifetimes distribution."""
    raw = pd.read_csv(_cdnow_path(), sep=r"\s+", header=None, names=list(SAMPLE_COLUMNS), dtype=str)
    return sample_transactions(raw)


needs_cdnow = pytest.mark.skipif(not _cdnow_available(), reason="dev dependency 'lifetimes' not installed")


@needs_cdnow
def test_cdnow_calibration_summary_matches_the_paper_data() -> None:
    summary = calibration_summary(read_cdnow_sample(), CALIBRATION_END)
    assert len(summary) == 2357
    assert int((summary["frequency"] > 0).sum()) == PUBLISHED_REPEAT_CUSTOMERS
    # Customer 0001 bought 1997-01-01, 01-18 and 08-02 in the calibration period (and later).
    first = summary.loc["0001"]
    assert first["frequency"] == 2
    assert first["recency"] == pytest.approx(213 / 7)
    assert first["T"] == pytest.approx(272 / 7)
    assert first["monetary"] == pytest.approx((29.73 + 14.96) / 2)


@needs_cdnow
def test_bgnbd_on_cdnow_matches_published_parameters_within_2_percent() -> None:
    summary = calibration_summary(read_cdnow_sample(), CALIBRATION_END)
    params = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    assert params.converged
    fitted = {"r": params.r, "alpha": params.alpha, "a": params.a, "b": params.b}
    for name, published in PUBLISHED_BGNBD.items():
        assert fitted[name] == pytest.approx(published, rel=0.02), name
    # Fader, Hardie & Lee (2005) report LL = -9582.4 at the optimum.
    assert params.log_likelihood == pytest.approx(-9582.4, abs=0.5)


@needs_cdnow
def test_gamma_gamma_on_cdnow_matches_published_parameters_within_2_percent() -> None:
    summary = calibration_summary(read_cdnow_sample(), CALIBRATION_END)
    repeat = summary[summary["frequency"] > 0]
    assert len(repeat) == 946
    params = fit_gamma_gamma(repeat["frequency"], repeat["monetary"])
    assert params.converged
    fitted = {"p": params.p, "q": params.q, "gamma": params.gamma}
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert fitted[name] == pytest.approx(published, rel=0.02), name
    # Fader & Hardie (2013) report LL = -4055.9 for the 946 repeat customers.
    assert params.log_likelihood == pytest.approx(-4055.9, abs=0.5)


def _simulate_bgnbd(
    params: BGNBDParams, n: int, T: float, horizon: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulate BG/NBD customers all born at 0: calibration x, t_x and purchases in (T, T+horizon]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params.r, 1.0 / params.alpha, size=n)
    p = rng.beta(params.a, params.b, size=n)
    x = np.zeros(n)
    t_x = np.zeros(n)
    future = np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1.0 / lam[i])
            if t > T + horizon:
                break
            if t <= T:
                x[i] += 1
                t_x[i] = t
            else:
                future[i] += 1
            # Dropout happens right after a purchase with probability p.
            if rng.random() < p[i]:
                break
    return x, t_x, future


def test_bgnbd_fit_recovers_simulated_parameters() -> None:
    truth = BGNBDParams(r=0.5, alpha=5.0, a=1.2, b=3.0, log_likelihood=0.0, n_customers=0, converged=True)
    x, t_x, _ = _simulate_bgnbd(truth, n=4000, T=52.0, horizon=0.0, seed=3)
    fitted = fit_bgnbd(x, t_x, np.full_like(x, 52.0))
    # 4,000 customers pin r and alpha to about 10%; a and b are less well identified.
    assert fitted.r == pytest.approx(truth.r, rel=0.15)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.2)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(truth.a / (truth.a + truth.b), rel=0.25)


def test_expected_purchases_match_simulation() -> None:
    # Conditional expectation averaged over simulated customers equals their simulated future count.
    x, t_x, future = _simulate_bgnbd(PAPER, n=20000, T=39.0, horizon=39.0, seed=5)
    expected = bgnbd_expected_purchases(PAPER, 39.0, x, t_x, np.full_like(x, 39.0))
    assert expected.mean() == pytest.approx(future.mean(), rel=0.05)
    heavy = x >= 5
    assert expected[heavy].mean() == pytest.approx(future[heavy].mean(), rel=0.1)


def test_expected_purchases_reference_value() -> None:
    # Value computed by the Lifetimes package (0.11.3) for x=26, t_x=30.86, T=31 at the paper's
    # parameters over 39 weeks; also stable for extreme buyers where the raw 2F1 overflows.
    value = bgnbd_expected_purchases(PAPER, 39.0, [26.0], [30.86], [31.0])
    assert value[0] == pytest.approx(20.7497, rel=1e-4)
    extreme = bgnbd_expected_purchases(PAPER, 520.0, [1500.0], [0.5], [0.5])
    assert np.isfinite(extreme).all() and extreme[0] > 1000


def test_p_alive_known_cases() -> None:
    p = bgnbd_p_alive(PAPER, [0.0, 10.0, 10.0], [0.0, 38.0, 5.0], [39.0, 39.0, 39.0])
    assert p[0] == 1.0  # no repeat purchase: BG/NBD cannot have dropped them yet
    assert p[1] > 0.9  # bought often and just now
    assert p[2] < 0.05  # bought often, then silence for 34 weeks
    # Closed form: 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)).
    closed = 1 / (1 + 0.793 / (2.426 + 9) * ((4.414 + 39) / (4.414 + 5)) ** (0.243 + 10))
    assert p[2] == pytest.approx(closed)


def test_gamma_gamma_expected_spend_shrinks_towards_population_mean() -> None:
    params = GammaGammaParams(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, n_customers=0, converged=True)
    population = 6.25 * 15.44 / (3.74 - 1)
    spend = gamma_gamma_expected_spend(params, [0.0, 1.0, 50.0], [0.0, 100.0, 100.0])
    assert spend[0] == pytest.approx(population)
    assert population < spend[1] < spend[2] < 100.0
    assert spend[2] == pytest.approx((15.44 + 100 * 50) * 6.25 / (6.25 * 50 + 3.74 - 1))


def test_gamma_gamma_fit_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(9)
    n = 30000  # p and q trade off against each other; 30,000 customers pin each to a few %
    nu = rng.gamma(4.0, 1.0 / 20.0, size=n)
    x = rng.integers(1, 10, size=n).astype(float)
    # Mean of x Gamma(p, nu) spends is Gamma(p*x, nu*x).
    m = rng.gamma(3.0 * x, 1.0 / (nu * x))
    fitted = fit_gamma_gamma(x, m)
    assert fitted.p == pytest.approx(3.0, rel=0.05)
    assert fitted.q == pytest.approx(4.0, rel=0.05)
    assert fitted.gamma == pytest.approx(20.0, rel=0.05)


def test_clv_is_purchases_times_spend_and_discounting_lowers_it() -> None:
    spend = np.array([50.0, 50.0])
    x, t_x, T = np.array([3.0, 0.0]), np.array([30.0, 0.0]), np.array([39.0, 39.0])
    plain = customer_lifetime_value(PAPER, spend, x, t_x, T, 52.0)
    assert plain == pytest.approx(bgnbd_expected_purchases(PAPER, 52.0, x, t_x, T) * 50.0)
    discounted = customer_lifetime_value(PAPER, spend, x, t_x, T, 52.0, discount_rate=0.01)
    assert (discounted < plain).all()
    assert (discounted > plain / 1.01**12).all()


def test_fit_rejects_inconsistent_inputs() -> None:
    with pytest.raises(ValueError, match="recency <= T"):
        fit_bgnbd([1.0], [5.0], [4.0])
    with pytest.raises(ValueError, match="repeat customers"):
        fit_gamma_gamma([0.0, 1.0], [10.0, 5.0])


def test_bgnbd_analytic_gradient_matches_finite_differences() -> None:
    x = np.array([0.0, 1.0, 5.0, 20.0])
    t_x = np.array([0.0, 3.0, 10.0, 30.0])
    T = np.array([39.0, 20.0, 30.0, 39.0])
    params = np.array([0.5, 4.0, 0.8, 2.4])
    _, grad = bgnbd_log_likelihood_and_gradient(*params, x, t_x, T)
    numeric = approx_fprime(
        params, lambda p: float(bgnbd_log_likelihood_and_gradient(*p, x, t_x, T)[0].sum()), 1e-7
    )
    assert grad.sum(axis=1) == pytest.approx(numeric, rel=1e-4, abs=1e-5)
