"""Exact superposition of unit-dose responses on a time grid, vectorised over subjects.

Each species' unit-dose response is a sum of exponentials (:class:`~benzoplan.pk.model.ExpSum`),
so the concentration after any dose list is exact by superposition. Two evaluations of the
same formula, chosen by the shape of the problem:

* :func:`evaluate_general` — any sorted grid: the modal state is carried from dose to dose by
  the exact linear recurrence ``z_i = e^{-λ(t_i − t_{i−1})} z_{i−1} + D_i`` and every grid
  time decays the state of the last dose before it.
* :class:`BlockPlan` — a uniform grid cut into blocks (a day by default). The state at block
  starts follows the same recurrence; inside a block the output is
  ``C[b, k] = Σ_m y[b, m]·a_m·e^{−λ_m kΔ} + Σ_q A[b, q]·G_q[k]`` where ``q`` runs over the
  distinct in-block dose times: one small matrix product per subject, written into a
  caller-owned buffer (no allocation per chunk).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from benzoplan.pk.model import ExpSum

__all__ = [
    "BlockPlan",
    "dose_states",
    "evaluate",
    "evaluate_general",
    "state_general",
    "uniform_step",
]

Array = npt.NDArray[np.float64]
AnyFloat = npt.NDArray[np.floating[Any]]  # float64, or float32 for population series
_MAX_SLOTS = 32


def uniform_step(grid: Array) -> float | None:
    """The step of an evenly spaced grid starting at 0, else None."""
    if grid.size < 2 or grid[0] != 0:
        return None
    step = float(grid[1] - grid[0])
    if not step > 1e-6:
        return None
    expected = np.arange(grid.size) * step
    if np.allclose(grid, expected, rtol=0, atol=1e-9 * max(1.0, float(grid[-1]))):
        return step
    return None


def evaluate_general(resp: ExpSum, times: Array, amounts: Array, grid: Array) -> Array:
    """Concentrations (subjects × grid) after doses ``amounts`` (mg) at ``times`` (h).

    A dose at exactly a grid time is included at that time (its contribution there is the
    response at 0, which is zero for oral absorption)."""
    n_s = resp.coef.shape[0]
    out = np.zeros((n_s, grid.size))
    if times.size == 0 or grid.size == 0:
        return out
    lam = resp.rate  # (S, M)
    z = dose_states(resp, times, amounts)
    idx = np.searchsorted(times, grid, side="right") - 1
    live = idx >= 0
    if not live.any():
        return out
    g, j = grid[live], idx[live]
    dt = g - times[j]  # (T,)
    state = z[:, :, j]  # (S, M, T)
    decay = np.exp(-lam[:, :, None] * dt[None, None, :])
    out[:, live] = np.einsum("sm,smt->st", resp.coef, decay * state)
    return out


@dataclass(frozen=True)
class BlockPlan:
    """The dose layout of one drug on a uniform grid, shared by every subject."""

    step: float
    n_points: int
    block: int  # grid points per block
    n_blocks: int
    offsets: Array  # (Q,) in-block dose times, h
    amounts: Array  # (B, Q) mg

    @classmethod
    def build(cls, times: Array, amounts: Array, n_points: int, step: float,
              block_h: float = 24.0) -> BlockPlan | None:
        """A plan, or None when the doses fall on too many distinct in-block times."""
        per = block_h / step
        block = round(per) if abs(per - round(per)) < 1e-9 and per >= 1 else min(n_points, 64)
        n_blocks = -(-n_points // block)
        span = block * step
        keep = times < n_blocks * span
        t, a = times[keep], amounts[keep]
        b = np.minimum((t // span).astype(int), n_blocks - 1)
        off = t - b * span
        slots, q = np.unique(off, return_inverse=True)
        if slots.size > _MAX_SLOTS:
            return None
        am = np.zeros((n_blocks, max(slots.size, 1)))
        np.add.at(am, (b, q), a)
        return cls(step, n_points, block, n_blocks, slots if slots.size else np.zeros(1), am)

    @property
    def span(self) -> float:
        return self.block * self.step

    def design(self, resp: ExpSum) -> Array:
        """(S, B, M + Q): the modal state at every block start (doses before it included)
        beside the doses of every block. The state follows the exact recurrence
        ``y[b] = e^{-λ·span}·y[b−1] + u[b−1]``, ``u`` being what block b−1's doses leave;
        it runs block by block over all subjects at once (contiguous rows)."""
        lam = resp.rate
        n_s, n_m = lam.shape
        n_q = self.offsets.size
        enter = np.exp(-lam[:, None, :] * (self.span - self.offsets)[None, :, None])  # (S,Q,M)
        flat = enter.reshape(n_s, n_q, n_m).transpose(1, 0, 2).reshape(n_q, n_s * n_m)
        u = np.multiply.outer(self.amounts[:, 0], flat[0])  # (B, S·M)
        for q in range(1, n_q):
            u += np.multiply.outer(self.amounts[:, q], flat[q])
        y = np.empty_like(u)
        y[0] = 0.0
        carry = np.exp(-lam * self.span).reshape(-1)
        tmp = np.empty_like(carry)
        for b in range(1, self.n_blocks):
            np.multiply(carry, y[b - 1], out=tmp)
            np.add(tmp, u[b - 1], out=y[b])
        states = np.ascontiguousarray(y.reshape(self.n_blocks, n_s, n_m).transpose(1, 0, 2))
        doses = np.broadcast_to(self.amounts[None], (n_s, *self.amounts.shape))
        return np.concatenate([states, doses], axis=2)

    def state_at(self, resp: ExpSum, design: Array, t: Array, *,
                 strict: bool = False) -> Array:
        """Modal state (S, M) of each subject at its own time ``t[s]`` (h, within the grid's
        blocks); ``strict`` leaves out a dose given exactly at ``t[s]``."""
        lam = resp.rate
        n_m = lam.shape[1]
        b = np.clip((t // self.span).astype(int), 0, self.n_blocks - 1)
        r = t - b * self.span
        rows = np.arange(t.size)
        y = design[rows, b, :n_m]  # (S, M)
        am = self.amounts[b]  # (S, Q)
        since = r[:, None] - self.offsets[None, :]  # (S, Q)
        live = (since > 1e-12) if strict else (since >= -1e-12)
        since = np.where(live, np.maximum(since, 0.0), 0.0)
        inside = (am * live)[:, :, None] * np.exp(-lam[:, None, :] * since[:, :, None])
        return np.asarray(y * np.exp(-lam * r[:, None]) + inside.sum(axis=1))

    def weights(self, resp: ExpSum) -> Array:
        """(S, M + Q, L): the in-block response to the carried state and to each slot."""
        lam, a = resp.rate, resp.coef
        k = np.arange(self.block) * self.step
        free = a[:, :, None] * np.exp(-lam[:, :, None] * k[None, None, :])
        since = k[None, :] - self.offsets[:, None]  # (Q, L)
        after = since >= -1e-12
        since = np.where(after, np.maximum(since, 0.0), 0.0)
        g = np.einsum("sm,smql->sql", a,
                      np.exp(-lam[:, :, None, None] * since[None, None, :, :]))
        g = g * after[None, :, :]
        return np.concatenate([free, g], axis=1)

    def fill(self, design: AnyFloat, weights: AnyFloat, out: AnyFloat) -> AnyFloat:
        """Write concentrations into ``out`` (shape (S, B, L)) and return it as (S, B·L),
        contiguous; the points past the grid's end are set to −inf."""
        np.matmul(design, weights, out=out)
        flat = out.reshape(out.shape[0], -1)
        flat[:, self.n_points:] = -np.inf
        return flat


def evaluate(resp: ExpSum, times: Array, amounts: Array, grid: Array) -> Array:
    """Concentrations (subjects × grid): the blocked form on uniform grids, else general."""
    step = uniform_step(grid)
    if step is not None and times.size:
        plan = BlockPlan.build(times, amounts, grid.size, step)
        if plan is not None:
            out = np.empty((resp.coef.shape[0], plan.n_blocks, plan.block))
            full = plan.fill(plan.design(resp), plan.weights(resp), out)
            return np.asarray(full[:, : grid.size], dtype=np.float64)
    return evaluate_general(resp, times, amounts, grid)


def dose_states(resp: ExpSum, times: Array, amounts: Array) -> Array:
    """Modal state just after every dose, (S, M, D), by the exact recurrence."""
    lam = resp.rate
    z = np.empty((*lam.shape, times.size))
    if times.size:
        z[:, :, 0] = amounts[0]
    for i in range(1, times.size):
        z[:, :, i] = np.exp(-lam * (times[i] - times[i - 1])) * z[:, :, i - 1] + amounts[i]
    return z


def state_general(resp: ExpSum, times: Array, states: Array, t: Array, *,
                  strict: bool = False) -> Array:
    """Modal state (S, M) of each subject at its own time ``t[s]``, from
    :func:`dose_states`; ``strict`` leaves out a dose given exactly at ``t[s]``."""
    if times.size == 0:
        return np.zeros(resp.rate.shape)
    idx = np.searchsorted(times, t, side="left" if strict else "right") - 1
    safe = np.maximum(idx, 0)
    z = states[np.arange(t.size), :, safe]  # (S, M)
    dt = t - times[safe]
    return np.asarray(np.where((idx >= 0)[:, None], z * np.exp(-resp.rate * dt[:, None]), 0.0))
