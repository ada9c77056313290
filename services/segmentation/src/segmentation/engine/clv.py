"""Probabilistic customer lifetime value: BG/NBD (purchase count, P(alive)) and Gamma-Gamma (spend).

Both models are fitted by maximum likelihood on per-customer summaries: ``frequency`` is the number
of REPEAT purchases (x), ``recency`` the time of the last purchase measured from the first (t_x) and
``T`` the customer's age (time from the first purchase to the end of the observation period), all
in the same time unit. Pure numpy/scipy: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import optimize, special

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

# Log-parameters are kept inside these bounds so that a degenerate sample (e.g. nobody repeats)
# cannot drive the optimiser to infinity; exp(+-12) spans every plausible retail parameter.
_LOG_BOUND = 12.0


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout prob ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int
    converged: bool


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters: spend ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int
    converged: bool


def _as_float(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64).ravel()


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = _as_float(weights)
    if w.shape[0] != n:
        raise ValueError(f"weights has {w.shape[0]} values, expected {n}")
    return w


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Per-customer BG/NBD log-likelihood ln L(r, alpha, a, b | x, t_x, T)."""
    # Ref: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing Science
    # 24(2), eq. (6); https://brucehardie.com/papers/018/fader_et_al_mksc_05.pdf
    x = _as_float(frequency)
    t_x = _as_float(recency)
    age = _as_float(T)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + age)
    repeat = x > 0
    # b + x - 1 > 0 only matters where x > 0; the max() keeps the unused branch finite.
    a4 = np.where(
        repeat,
        np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


ObjectiveWithGradient = Callable[[FloatArray], tuple[float, FloatArray]]


def _minimise(objective: ObjectiveWithGradient, x0: FloatArray) -> tuple[FloatArray, float, bool]:
    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(x0)
    result = optimize.minimize(objective, x0, jac=True, method="L-BFGS-B", bounds=bounds)
    converged = bool(result.success)
    if not converged:
        # L-BFGS-B sometimes stops on a flat ridge with a precision warning; a derivative-free
        # polish from that point settles it without giving up the bounded start.
        def value_only(theta: FloatArray) -> float:
            return objective(theta)[0]

        polish = optimize.minimize(
            value_only,
            result.x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
        )
        if polish.fun <= result.fun:
            result = polish
        converged = bool(polish.success)
    return np.asarray(result.x, dtype=np.float64), float(result.fun), converged


def bgnbd_log_likelihood_and_gradient(
    r: float, alpha: float, a: float, b: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Per-customer BG/NBD log-likelihood and its gradient (4 x n) in (r, alpha, a, b)."""
    # Analytic gradient: the fit needs one likelihood pass per step instead of five, which is
    # what keeps a 300,000-customer fit to seconds.
    x = _as_float(frequency)
    t_x = _as_float(recency)
    age = _as_float(T)
    ll = bgnbd_log_likelihood(r, alpha, a, b, x, t_x, age)
    repeat = x > 0
    log_t = np.log(alpha + age)
    log_tx = np.log(alpha + t_x)
    a3 = -(r + x) * log_t
    a4 = np.where(repeat, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * log_tx, -np.inf)
    # Share of the "still alive at T" term in the likelihood; the rest is "dropped out at t_x".
    w3 = np.exp(a3 - np.logaddexp(a3, a4))
    w4 = 1.0 - w3
    d_r = special.digamma(r + x) - special.digamma(r) + np.log(alpha) - w3 * log_t - w4 * log_tx
    d_alpha = r / alpha - w3 * (r + x) / (alpha + age) - w4 * (r + x) / (alpha + t_x)
    common = special.digamma(a + b) - special.digamma(a + b + x)
    d_a = common + w4 / a
    d_b = common + special.digamma(b + x) - special.digamma(b) - w4 / np.maximum(b + x - 1.0, 1e-300)
    return ll, np.vstack([d_r, d_alpha, d_a, d_b])


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    penalizer: float = 0.0,
) -> BGNBDParams:
    """Fit BG/NBD by maximum likelihood on repeat frequency x, recency t_x and age T (same unit)."""
    x = _as_float(frequency)
    t_x = _as_float(recency)
    age = _as_float(T)
    if not (x.shape == t_x.shape == age.shape) or x.size == 0:
        raise ValueError("frequency, recency and T must be non-empty and of equal length")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(age <= 0) or np.any(t_x > age + 1e-9):
        raise ValueError("need frequency >= 0, 0 <= recency <= T and T > 0")
    w = _weights(weights, x.size)
    total = float(w.sum())
    # Start alpha near the mean age: the Gamma scale of the purchase rate is in time units.
    x0 = np.array([0.0, np.log(max(float(np.average(age, weights=w)), 1e-3)), 0.0, 0.0])

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(theta)
        ll, grad = bgnbd_log_likelihood_and_gradient(r, alpha, a, b, x, t_x, age)
        # Mean rather than sum keeps the objective's scale independent of the sample size, so the
        # optimiser tolerances mean the same on 50 customers and on 1,000,000.
        value = -float(np.dot(w, ll)) / total + penalizer * float(np.sum(theta**2))
        # d/dlog(param) = param * d/dparam.
        gradient = -(grad @ w) / total * np.exp(theta) + 2.0 * penalizer * theta
        return value, gradient

    theta, fun, converged = _minimise(objective, x0)
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BGNBDParams(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=-fun * total,
        n_customers=round(total),
        converged=converged,
    )


def bgnbd_p_alive(params: BGNBDParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
    """P(customer still active at T | x, t_x, T) under BG/NBD."""
    # Ref: Fader, Hardie & Lee (2005), eq. (13); customers without repeat purchases are alive
    # with probability 1 in BG/NBD because dropout can only happen right after a purchase.
    x = _as_float(frequency)
    t_x = _as_float(recency)
    age = _as_float(T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_ratio = (
        np.log(a)
        - np.log(np.maximum(b + x - 1.0, 1e-300))
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    p = 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0)))
    return np.where(x > 0, p, 1.0)


def _hyp2f1(a: FloatArray, b: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """Gauss 2F1 with a series fallback where scipy's transformation returns a non-finite value."""
    value = np.asarray(special.hyp2f1(a, b, c, z), dtype=np.float64)
    bad = ~np.isfinite(value)
    if np.any(bad):
        # Direct power series (converges for |z| < 1, which always holds here): slow but only
        # ever used on the handful of points where scipy gives up.
        aa, bb, cc, zz = a[bad], b[bad], c[bad], z[bad]
        term = np.ones_like(zz)
        total = np.ones_like(zz)
        for n in range(20000):
            term = term * (aa + n) * (bb + n) / ((cc + n) * (n + 1.0)) * zz
            total = total + term
            if np.all(np.abs(term) <= 1e-14 * np.abs(total)):
                break
        value[bad] = total
    return value


def bgnbd_expected_purchases(
    params: BGNBDParams, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected number of purchases in the next ``t`` time units, given x, t_x, T (BG/NBD)."""
    # Ref: Fader, Hardie & Lee (2005), eq. (10).
    x = _as_float(frequency)
    t_x = _as_float(recency)
    age = _as_float(T)
    if t <= 0:
        return np.zeros_like(x)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < 1e-9:
        # The formula has a removable singularity at a = 1; a tiny offset evaluates its limit.
        a = 1.0 + 1e-9
    z = t / (alpha + age + t)
    # Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A,C-B;C;z) turns
    # (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) into (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose
    # series stays tame for frequent customers and long horizons where the original overflows.
    # Ref: Abramowitz & Stegun (1964), eq. 15.3.3.
    ones = np.ones_like(x)
    hyp = _hyp2f1((a + b - 1.0 - r) * ones, (a - 1.0) * ones, a + b + x - 1.0, z)
    head = (a + b + x - 1.0) / (a - 1.0)
    body = 1.0 - np.exp((a - 1.0) * np.log1p(-z)) * hyp
    log_ratio = (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    denom = 1.0 + np.where(
        x > 0, a / np.maximum(b + x - 1.0, 1e-300) * np.exp(np.minimum(log_ratio, 700.0)), 0.0
    )
    expected = head * body / denom
    # Numerical cancellation in 1 - (...)*2F1 can leave tiny negatives for near-dead customers.
    return np.clip(expected, 0.0, None)


def gamma_gamma_log_likelihood(
    p: float, q: float, gamma: float, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Per-customer Gamma-Gamma log-likelihood of mean spend ``monetary`` over ``frequency`` purchases."""
    # Ref: Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value", eq. (3);
    # https://brucehardie.com/notes/025/gamma_gamma.pdf
    x = _as_float(frequency)
    m = _as_float(monetary)
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    penalizer: float = 0.0,
) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood on repeat customers (frequency > 0, monetary > 0)."""
    x = _as_float(frequency)
    m = _as_float(monetary)
    if x.shape != m.shape or x.size == 0:
        raise ValueError("frequency and monetary must be non-empty and of equal length")
    if np.any(x <= 0) or np.any(m <= 0):
        raise ValueError("Gamma-Gamma needs repeat customers only: frequency > 0 and monetary > 0")
    w = _weights(weights, x.size)
    total = float(w.sum())
    # Moment-style start: mean spend ~ p * gamma / (q - 1); start q > 1 so that mean is finite.
    mean_spend = float(np.average(m, weights=w))
    x0 = np.array([np.log(2.0), np.log(3.0), np.log(max(mean_spend, 1e-6))])

    log_m = np.log(m)
    log_x = np.log(x)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(theta)
        ll = gamma_gamma_log_likelihood(p, q, gamma, x, m)
        px = p * x
        psi = special.digamma(px + q)
        log_total = np.log(gamma + m * x)
        grad = np.vstack(
            [
                x * (psi - special.digamma(px) + log_m + log_x - log_total),
                psi - special.digamma(q) + np.log(gamma) - log_total,
                q / gamma - (px + q) / (gamma + m * x),
            ]
        )
        value = -float(np.dot(w, ll)) / total + penalizer * float(np.sum(theta**2))
        gradient = -(grad @ w) / total * np.exp(theta) + 2.0 * penalizer * theta
        return value, gradient

    theta, fun, converged = _minimise(objective, x0)
    p, q, gamma = (float(v) for v in np.exp(theta))
    return GammaGammaParams(
        p=p,
        q=q,
        gamma=gamma,
        log_likelihood=-fun * total,
        n_customers=round(total),
        converged=converged,
    )


def gamma_gamma_expected_spend(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> FloatArray:
    """Expected spend per future purchase given x repeat purchases with mean spend m_x."""
    # Ref: Fader & Hardie (2013), eq. (5): a credibility-weighted mix of the population mean
    # p*gamma/(q-1) and the customer's own mean; with x = 0 it is the population mean.
    x = _as_float(frequency)
    m = np.nan_to_num(_as_float(monetary), nan=0.0)
    p, q, gamma = params.p, params.q, params.gamma
    x_eff = np.where(m > 0, x, 0.0)
    return (gamma + np.where(x_eff > 0, m * x_eff, 0.0)) * p / (p * x_eff + q - 1.0)


def customer_lifetime_value(
    bgnbd: BGNBDParams,
    expected_spend: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    horizon: float,
    *,
    discount_rate: float = 0.0,
    steps: int = 12,
) -> FloatArray:
    """Expected (optionally discounted) value of each customer's purchases over ``horizon``."""
    # With discounting, the horizon is cut into ``steps`` equal periods and each period's expected
    # purchases are discounted at ``discount_rate`` per period (the lifetimes/Fader convention).
    spend = _as_float(expected_spend)
    if discount_rate == 0.0:
        return bgnbd_expected_purchases(bgnbd, horizon, frequency, recency, T) * spend
    value = np.zeros_like(spend)
    previous = np.zeros_like(spend)
    for step in range(1, steps + 1):
        cumulative = bgnbd_expected_purchases(bgnbd, horizon * step / steps, frequency, recency, T)
        value += (cumulative - previous) * spend / (1.0 + discount_rate) ** step
        previous = cumulative
    return value
