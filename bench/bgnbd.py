"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way"): the classic
closed-form model of repeat buying, as the bar Scoreline's lapse model has to clear on CDNOW.

A customer buys at rate lambda while alive (lambda ~ Gamma(r, alpha)) and drops out after any
purchase with probability p (p ~ Beta(a, b)). The data per customer are x (repeat purchases in
the calibration period), t_x (time of the last one) and T (time since the first purchase), all
in the same unit (weeks in the paper). Fitted by maximum likelihood (equation 6 of the paper).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def _log_a(self, x: np.ndarray, horizon_end: np.ndarray) -> np.ndarray:
        """log E[(1-p)^x lambda^x e^(-lambda s)]: alive through `s`, x purchases."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        return (
            gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            + betaln(a, b + x) - betaln(a, b)
            - (r + x) * np.log(alpha + horizon_end)
        )  # fmt: skip

    def _log_dead_after_last(self, x: np.ndarray, t_x: np.ndarray) -> np.ndarray:
        """log E[p (1-p)^(x-1) lambda^x e^(-lambda t_x)]: dropped out right after the last buy."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (
                gammaln(r + x) - gammaln(r) + r * np.log(alpha)
                + betaln(a + 1, b + x - 1) - betaln(a, b)
                - (r + x) * np.log(alpha + t_x)
            )  # fmt: skip
        return np.where(x > 0, value, -np.inf)

    def probability_no_purchase(self, x, t_x, big_t, t: float) -> np.ndarray:
        """P(no purchase in (T, T + t] | x, t_x, T): the model's own probability of a lapse.

        Alive at T and no purchase in t (e^(-lambda t)), or already dropped out.
        """
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
        dead = self._log_dead_after_last(x, t_x)
        silent_through_horizon = np.logaddexp(self._log_a(x, big_t + t), dead)
        return np.exp(silent_through_horizon - np.logaddexp(self._log_a(x, big_t), dead))

    def expected_purchases(self, x, t_x, big_t, t: float) -> np.ndarray:
        """E[X(T, T + t] | x, t_x, T] (equation 10 of the paper)."""
        x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        first = (a + b + x - 1) / (a - 1)
        second = 1 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp2f1(
            r + x, b + x, a + b + x - 1, t / (alpha + big_t + t)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = np.where(
                x > 0, a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x), 0.0
            )
        return first * second / (1 + odds)


def _negative_log_likelihood(log_params: np.ndarray, x, t_x, big_t) -> float:
    r, alpha, a, b = np.exp(log_params)
    model = BgNbd(r, alpha, a, b, 0.0)
    alive = model._log_a(x, big_t)
    dead = model._log_dead_after_last(x, t_x)
    return -float(np.sum(np.logaddexp(alive, dead)))


def fit_bgnbd(x, t_x, big_t) -> BgNbd:
    """Maximum likelihood over log-parameters (Nelder-Mead, then BFGS to polish).

    Args:
        x: Repeat purchases per customer in the calibration period.
        t_x: Time of the last purchase since the first.
        big_t: Time from the first purchase to the end of the calibration period.
    """
    x, t_x, big_t = (np.asarray(v, dtype=float) for v in (x, t_x, big_t))
    start = minimize(
        _negative_log_likelihood, np.zeros(4), args=(x, t_x, big_t), method="Nelder-Mead",
        options={"maxiter": 5000, "xatol": 1e-8, "fatol": 1e-8},
    )  # fmt: skip
    best = minimize(_negative_log_likelihood, start.x, args=(x, t_x, big_t), method="BFGS")
    r, alpha, a, b = np.exp(best.x)
    return BgNbd(r, alpha, a, b, -float(best.fun))


def calibration_summary(
    purchases: pd.DataFrame, cutoff: pd.Timestamp, unit_days: float = 7.0
) -> pd.DataFrame:
    """x, t_x and T per customer from purchases before `cutoff`, one purchase per day.

    Args:
        purchases: Columns customer_id and date (a timestamp; several per day count once).
        cutoff: End of the calibration period (exclusive).
        unit_days: Days per time unit (7: weeks, as in the paper).
    """
    days = purchases.loc[purchases.date < cutoff, ["customer_id", "date"]].drop_duplicates()
    grouped = days.groupby("customer_id").date
    first, last, count = grouped.min(), grouped.max(), grouped.size()
    return pd.DataFrame(
        {
            "x": count - 1,
            "t_x": (last - first).dt.days / unit_days,
            "T": (cutoff - first).dt.days / unit_days,
        }
    )
