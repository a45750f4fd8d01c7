"""Closed-form solution of linear compartment systems by eigen-decomposition and superposition.

Implemented: for ``dx/dt = A x + u(t)`` (``A`` per patient, per minute) with inputs that are
boluses or zero-order infusions into any compartment, the amount in an observed compartment is

    bolus D into j at s:        x_o(t) = sum_k W_okj D exp(l_k (t - s))
    rate R into j from s on:    x_o(t) = sum_k W_okj R (exp(l_k (t - s)) - 1) / l_k

with ``A = V diag(l) V^-1`` and ``W_okj = V_ok (V^-1)_kj``. An infusion is a step of +R at its
start and -R at its end; first-order absorption is a depot compartment, so ``ka`` is one more
eigenvalue. Doses are superposed. On a uniform time grid the exponentials
``exp(l_k * i * step)`` are computed once per patient and reused for every slab of time, and
every dose before a slab is folded into one modal amplitude per mode, so no ODE solver and no
per-dose exponential over the whole grid is needed. ``summarize_population`` gives grid
Cmax/Tmax, time above a threshold, exact AUC and band values without building the grid
(see its docstring and docs/pk-validation.md).

Repeated eigenvalues (``ka`` equal to a disposition eigenvalue) make ``V`` singular; those
patients get their diagonal rates scaled by ``1 + 1e-6 * (i + 1)`` (a relative change of
at most ~1e-5, far inside the 0.1 % validation tolerance) before decomposition.

Not done here: non-linear kinetics (saturable clearance), time-varying parameters, lag times.
Pure numerics: numpy only; no clinical decisions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from math import ceil

import numpy as np

_DEGENERATE_GAP = 1e-7  # relative eigenvalue gap below which a patient is perturbed
_PERTURBATION = 1e-6
_SLAB_BUDGET_BYTES = 96 * 1024 * 1024
_EPS_MIN = 1e-9
_TINY = 1e-200


@dataclass(frozen=True, slots=True)
class LinearSystem:
    """A batch of patients' linear compartment systems (rates per minute, amounts in mg)."""

    rate_matrix_per_min: np.ndarray  # (P, n, n)
    observed: tuple[int, ...]  # compartments whose concentrations are reported
    volumes_l: np.ndarray  # (P, len(observed)) volume of each observed compartment

    @property
    def n_patients(self) -> int:
        return int(self.rate_matrix_per_min.shape[0])


@dataclass(frozen=True, slots=True)
class Input:
    """Mass entering one compartment: a bolus (duration 0) or a zero-order infusion."""

    start_min: float
    compartment: int
    amount_mg: np.ndarray  # (P,)
    duration_min: float = 0.0


def _eig(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lam, vec = np.linalg.eig(a)
    n = a.shape[-1]
    if n > 1:
        diff = np.abs(lam[:, :, None] - lam[:, None, :])
        scale = np.maximum(np.abs(lam[:, :, None]), np.abs(lam[:, None, :]))
        close = diff <= _DEGENERATE_GAP * scale
        close[:, np.arange(n), np.arange(n)] = False
        bad = close.any(axis=(1, 2))
        if bad.any():
            perturbed = a[bad].copy()
            idx = np.arange(n)
            perturbed[:, idx, idx] *= 1.0 + _PERTURBATION * (idx + 1)
            lam_b, vec_b = np.linalg.eig(perturbed)
            lam = lam.copy()
            vec = vec.copy()
            lam[bad] = lam_b
            vec[bad] = vec_b
    if np.iscomplexobj(lam):
        if np.max(np.abs(lam.imag)) > 1e-9 * max(1.0, float(np.max(np.abs(lam.real)))):
            raise ValueError("compartment system has complex eigenvalues")
        lam = lam.real
        vec = vec.real
    if np.any(lam >= 0):
        raise ValueError("every compartment system must eliminate drug (all eigenvalues < 0)")
    return lam, vec


@dataclass(frozen=True, slots=True)
class _Term:
    start_min: float
    g: np.ndarray  # (P, O, K) concentration amplitude per mode
    h: np.ndarray  # (P, O) constant offset (infusion plateau term)


def _terms(system: LinearSystem, inputs: Sequence[Input]) -> tuple[np.ndarray, list[_Term]]:
    lam, vec = _eig(system.rate_matrix_per_min)
    inv = np.linalg.inv(vec)
    obs = list(system.observed)
    # scale: mg in compartment -> ng/mL (mg/L x 1000)
    scale = 1000.0 / system.volumes_l  # (P, O)
    terms: list[_Term] = []
    for item in inputs:
        w = vec[:, obs, :] * inv[:, None, :, item.compartment]  # (P, O, K)
        w = w * scale[:, :, None]
        amount = np.asarray(item.amount_mg, dtype=float)[:, None, None]
        if item.duration_min <= 0:
            g = amount * w
            terms.append(_Term(item.start_min, g, np.zeros(g.shape[:2])))
        else:
            rate = amount / item.duration_min
            g = rate * w / lam[:, None, :]
            h = -g.sum(axis=2)
            terms.append(_Term(item.start_min, g, h))
            terms.append(_Term(item.start_min + item.duration_min, -g, -h))
    terms.sort(key=lambda term: term.start_min)
    return lam, terms


def evaluate_slabs(
    system: LinearSystem,
    inputs: Sequence[Input],
    n_points: int,
    step_min: float,
    dtype: type = np.float64,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(first_index, concentrations)`` slabs; concentrations are (P, O, S) in ng/mL.

    The grid is ``t_i = i * step_min`` for ``i = 0 .. n_points - 1``.
    """
    lam, terms = _terms(system, inputs)
    n_patients, n_modes = lam.shape
    itemsize = np.dtype(dtype).itemsize
    slab = int(_SLAB_BUDGET_BYTES // max(1, n_patients * n_modes * itemsize))
    slab = max(16, min(slab, 8192, n_points))
    grid = np.arange(slab, dtype=float) * step_min
    basis = np.exp(lam[:, :, None] * grid[None, None, :]).astype(dtype)  # (P, K, S)
    advance = np.exp(lam * slab * step_min)
    amp = np.zeros((n_patients, len(system.observed), n_modes))
    const = np.zeros((n_patients, len(system.observed)))
    folded = 0
    for first in range(0, n_points, slab):
        t0 = first * step_min
        length = min(slab, n_points - first)
        while folded < len(terms) and terms[folded].start_min <= t0 + _EPS_MIN:
            term = terms[folded]
            amp += term.g * np.exp(lam * (t0 - term.start_min))[:, None, :]
            const += term.h
            folded += 1
        out = np.matmul(amp.astype(dtype), basis[:, :, :length])
        out += const.astype(dtype)[:, :, None]
        t_last = t0 + (length - 1) * step_min
        pending = folded
        while pending < len(terms) and terms[pending].start_min <= t_last + _EPS_MIN:
            term = terms[pending]
            offset = max(0, ceil((term.start_min - t0) / step_min - 1e-9))
            shift = np.exp(lam * (t0 + offset * step_min - term.start_min))
            g = (term.g * shift[:, None, :]).astype(dtype)
            out[:, :, offset:length] += np.matmul(g, basis[:, :, : length - offset])
            out[:, :, offset:length] += term.h.astype(dtype)[:, :, None]
            pending += 1
        yield first, out
        amp *= advance[:, None, :]


def evaluate(
    system: LinearSystem, inputs: Sequence[Input], n_points: int, step_min: float
) -> np.ndarray:
    """All concentrations at once, (P, O, n_points) in ng/mL (for individual simulations)."""
    out = np.empty((system.n_patients, len(system.observed), n_points))
    for first, block in evaluate_slabs(system, inputs, n_points, step_min):
        out[:, :, first : first + block.shape[2]] = block
    return out


# --- population summaries without the full grid ------------------------------------------


@dataclass(frozen=True, slots=True)
class PopulationSummary:
    """Per-patient exact summaries on the grid ``t_i = i * step``, plus values at band points.

    ``cmax``/``tmax_index``: the largest grid value and its first grid index (as a full-grid
    argmax would give); ``auc``: the exact integral over ``[0, t_last]`` in ng*min/mL (closed
    form per mode); ``above``: grid points with the first observed output at or above the
    threshold; ``bands``: concentrations at ``band_index``.
    """

    cmax: np.ndarray  # (P, O)
    tmax_index: np.ndarray  # (P, O)
    auc: np.ndarray  # (P, O)
    above: np.ndarray | None  # (P,)
    bands: np.ndarray  # (O, B, P): patients last, so percentiles read contiguous rows


def _reachable(system: LinearSystem, inputs: Sequence[Input]) -> list[int]:
    """Compartments any input can reach (others hold no drug and carry no mode)."""
    edges = np.any(system.rate_matrix_per_min != 0, axis=0)  # edges[i, j]: j feeds i
    seen = {item.compartment for item in inputs} | set(system.observed)
    frontier = list(seen)
    while frontier:
        j = frontier.pop()
        for i in np.nonzero(edges[:, j])[0].tolist():
            if i not in seen:
                seen.add(i)
                frontier.append(i)
    return sorted(seen)


def _prune(system: LinearSystem, inputs: Sequence[Input]):
    keep = _reachable(system, inputs)
    if len(keep) == system.rate_matrix_per_min.shape[1]:
        return system, list(inputs)
    where = {c: i for i, c in enumerate(keep)}
    a = system.rate_matrix_per_min[:, keep][:, :, keep]
    pruned = LinearSystem(a, tuple(where[o] for o in system.observed), system.volumes_l)
    moved = [Input(i.start_min, where[i.compartment], i.amount_mg, i.duration_min) for i in inputs]
    return pruned, moved


def _powers(lam: np.ndarray, step: float, count: int) -> np.ndarray:
    """exp(lam * step * m) for m = 0..count-1 as a cumulative product, (P, K, count)."""
    factors = np.empty((*lam.shape, max(count, 1)))
    factors[:, :, 0] = 1.0
    if count > 1:
        factors[:, :, 1:] = np.exp(lam * step)[:, :, None]
        np.cumprod(factors, axis=2, out=factors)
        _flush_tiny(factors)
    return factors


def _flush_tiny(values: np.ndarray) -> None:
    """Zero values below 1e-200: decayed modes would otherwise become subnormal floats, which
    the CPU multiplies ~100x slower; they are 190 orders of magnitude below any answer."""
    values[np.abs(values) < _TINY] = 0.0


def _summarize_chunk(
    system: LinearSystem,
    inputs: Sequence[Input],
    n_points: int,
    step: float,
    band_index: np.ndarray,
    threshold: float | None,
    window: int,
) -> PopulationSummary:
    lam, terms = _terms(system, inputs)
    t_end = (n_points - 1) * step
    terms = [t for t in terms if t.start_min <= t_end + _EPS_MIN]
    n_pat, n_modes = lam.shape
    n_obs = len(system.observed)
    # Segments start at every distinct input start/stop time; amplitudes by recurrence.
    starts = sorted({t.start_min for t in terms})
    n_seg = len(starts)
    amp = np.zeros((n_seg, n_pat, n_obs, n_modes))
    const = np.zeros((n_seg, n_pat, n_obs))
    cursor = 0
    for j, start in enumerate(starts):
        if j:
            amp[j] = amp[j - 1] * np.exp(lam * (start - starts[j - 1]))[:, None, :]
            const[j] = const[j - 1]
        while cursor < len(terms) and terms[cursor].start_min == start:
            amp[j] += terms[cursor].g
            const[j] += terms[cursor].h
            cursor += 1
    _flush_tiny(amp)
    # Modes fastest first (most negative rate): the monotonicity certificate needs the order.
    order = np.argsort(lam, axis=1)
    lam = np.take_along_axis(lam, order, axis=1)
    amp = np.take_along_axis(amp, order[None, :, None, :], axis=3)
    first = [ceil(s / step - 1e-9) for s in starts]
    end = [*first[1:], n_points]
    seg_end_min = [*starts[1:], t_end]

    # Exact AUC: integral of each mode over its segment.
    auc = np.zeros((n_pat, n_obs))
    for j in range(n_seg):
        length = max(0.0, seg_end_min[j] - starts[j])
        growth = np.expm1(lam * length) / lam  # (P, K)
        auc += np.einsum("pok,pk->po", amp[j], growth) + const[j] * length

    cmax = np.zeros((n_pat, n_obs))  # before the first input every grid value is 0
    tmax = np.zeros((n_pat, n_obs), dtype=np.int64)
    above = np.zeros(n_pat, dtype=np.int64) if threshold is not None else None
    first_arr = np.asarray(first, dtype=np.int64)
    if n_seg:
        lengths = np.asarray(end) - first_arr
        offsets = first_arr * step - np.asarray(starts)
        phase = np.exp(lam[:, None, :] * offsets[None, :, None])  # (P, J, K)
        phased = np.ascontiguousarray(amp.transpose(1, 0, 2, 3)) * phase[:, :, None, :]
        level = np.ascontiguousarray(const.transpose(1, 0, 2))  # (P, J, O)
        _grid_peaks(
            lam, phased, level, first_arr, lengths, step, window, threshold, cmax, tmax, above
        )

    bands = np.zeros((n_obs, band_index.size, n_pat))
    if band_index.size and n_seg:
        stride = int(band_index[1] - band_index[0]) if band_index.size > 1 else 1
        seg_of = np.searchsorted(first_arr, band_index, side="right") - 1
        per_seg = np.bincount(seg_of[seg_of >= 0], minlength=n_seg)
        powers_t = _powers(lam, stride * step, int(per_seg.max(initial=0))).transpose(0, 2, 1)
        powers_t = np.ascontiguousarray(powers_t)  # (P, M, K)
        for j in np.nonzero(per_seg)[0].tolist():
            cols = np.nonzero(seg_of == j)[0]
            lead = np.exp(lam * (band_index[cols[0]] * step - starts[j]))
            a_j = amp[j] * lead[:, None, :]
            values = np.matmul(powers_t[:, : cols.size], a_j.transpose(0, 2, 1))  # (P, M, O)
            bands[:, cols, :] = (values + const[j][:, None, :]).transpose(2, 1, 0)
    return PopulationSummary(cmax, tmax, auc, above, bands)


def _decreasing_after(z: np.ndarray) -> np.ndarray:
    """True where ``sum_k z_k e^(l_k s)`` (modes fastest first) is < 0 for every ``s >= 0``.

    With ``u_k = e^(l_k s)`` increasing in k (slower modes decay less), Abel summation gives
    ``sum_k z_k u_k = sum_m (u_m - u_(m-1)) Y_m`` with non-negative weights and
    ``Y_m = sum_(k >= m) z_k``; so if every suffix sum ``Y_m`` is negative, so is the sum
    (the sign-pattern argument behind Descartes' rule of signs for exponential sums). Applied
    to derivative coefficients ``a_k l_k e^(l_k t0)``, it proves a curve strictly decreasing
    from ``t0`` on."""
    return np.all(np.cumsum(z[..., ::-1], axis=-1) < 0.0, axis=-1)


def _upper_after(x: np.ndarray) -> np.ndarray:
    """Upper bound of ``sum_k x_k e^(l_k s)`` over ``s >= 0`` (modes fastest first): the same
    Abel summation gives ``max(0, max_m Y_m)``, never looser than the sum of positive parts."""
    return np.maximum(np.cumsum(x[..., ::-1], axis=-1).max(axis=-1), 0.0)


def _merge_peaks(cmax, tmax, flat, peak, where) -> None:
    """Fold candidate (value, grid index) pairs into the running first-argmax per flat
    (patient, output) index: larger wins, equal and earlier wins, as a full-grid argmax."""
    if not flat.size:
        return
    key = np.lexsort((where, -peak, flat))
    flat, peak, where = flat[key], peak[key], where[key]
    lead = np.ones(flat.size, dtype=bool)
    lead[1:] = flat[1:] != flat[:-1]
    flat, peak, where = flat[lead], peak[lead], where[lead]
    cm, tm = cmax.reshape(-1), tmax.reshape(-1)
    win = (peak > cm[flat]) | ((peak == cm[flat]) & (where < tm[flat]))
    cm[flat[win]] = peak[win]
    tm[flat[win]] = where[win]


def _grid_peaks(lam, phased, level, first, lengths, step, window, threshold, cmax, tmax, above):
    """Grid maxima (first argmax) and threshold counts, equal to a full-grid evaluation.

    Every grid point of a ``window`` after each segment start is evaluated (one batched
    product per distinct window length). Beyond it a (patient, segment, output) needs nothing
    more when the derivative's coefficients prove the curve strictly decreasing from the
    window's last point (then only a threshold crossing is left, found by bisection on grid
    points) or when an upper bound of the tail is below the patient's peak (and below the
    threshold); the rest are evaluated a window at a time until one of those holds."""
    n_pat, n_seg, n_obs, n_modes = phased.shape
    widths = np.minimum(lengths, window)
    basis_t = np.ascontiguousarray(_powers(lam, step, int(widths.max())).transpose(0, 2, 1))
    seg_peak = np.full((n_pat, n_seg, n_obs), -np.inf)
    seg_arg = np.zeros((n_pat, n_seg, n_obs), dtype=np.int64)
    last = np.zeros((n_pat, n_seg, n_obs))  # value at the window's last point
    for width in np.unique(widths[widths > 0]).tolist():
        js = np.nonzero(widths == width)[0]
        stacked = phased[:, js].reshape(n_pat, js.size * n_obs, n_modes)
        # (P, J*O, K) @ (P, K, W): the window axis last, so reductions read contiguous rows
        values = np.matmul(stacked, basis_t[:, :width].transpose(0, 2, 1))
        values = values.reshape(n_pat, js.size, n_obs, width)
        values += level[:, js, :, None]
        arg = np.argmax(values, axis=3)
        seg_arg[:, js] = arg
        seg_peak[:, js] = np.take_along_axis(values, arg[..., None], axis=3)[..., 0]
        last[:, js] = values[..., width - 1]
        if above is not None:
            above += np.count_nonzero(values[:, :, 0] >= threshold, axis=(1, 2))
        del values
    best = np.argmax(seg_peak, axis=1)  # (P, O): earliest segment holding the largest value
    top = np.take_along_axis(seg_peak, best[:, None, :], axis=1)[:, 0]
    arg = np.take_along_axis(seg_arg, best[:, None, :], axis=1)[:, 0]
    better = top > 0.0
    cmax[...] = np.where(better, top, 0.0)
    tmax[...] = np.where(better, first[best] + arg, 0)

    # Tails: (patient, segment, output) triples whose segment is longer than its window.
    pat, seg, obs = np.nonzero(np.broadcast_to((lengths > widths)[None, :, None], last.shape))
    if not pat.size:
        return
    lam_t = lam[pat]
    done = widths[seg] - 1  # last evaluated point, relative to the segment's first point
    amp = phased[pat, seg, obs] * np.exp(lam_t * (done * step)[:, None])  # at that point
    lvl = level[pat, seg, obs]
    value = last[pat, seg, obs]
    seg_len = lengths[seg]
    basis_w = basis_t[:, : min(window, basis_t.shape[1])]
    while pat.size:
        falling = _decreasing_after(amp * lam_t)
        if above is not None:
            cross = falling & (obs == 0) & (value >= threshold) & (done < seg_len - 1)
            if cross.any():
                extra = _count_while_above(
                    amp[cross],
                    lam_t[cross],
                    lvl[cross],
                    seg_len[cross] - 1 - done[cross],
                    step,
                    threshold,
                )
                np.add.at(above, pat[cross], extra)
        bound = _upper_after(amp) + lvl
        settled = falling | (bound < cmax[pat, obs])
        if above is not None:
            settled &= falling | (obs != 0) | (bound < threshold)
        keep = ~settled & (done < seg_len - 1)
        pat, seg, obs, lam_t, done = pat[keep], seg[keep], obs[keep], lam_t[keep], done[keep]
        amp, lvl, seg_len = amp[keep], lvl[keep], seg_len[keep]
        if not pat.size:
            return
        # next window: points done+1 .. done+W
        width = basis_w.shape[1]
        step_amp = amp * np.exp(lam_t * step)
        values = np.matmul(basis_w[pat], step_amp[:, :, None])[:, :, 0] + lvl[:, None]
        index = done[:, None] + 1 + np.arange(width)[None, :]
        values = np.where(index < seg_len[:, None], values, -np.inf)
        arg = np.argmax(values, axis=1)
        peak = values[np.arange(pat.size), arg]
        _merge_peaks(cmax, tmax, pat * n_obs + obs, peak, first[seg] + done + 1 + arg)
        if above is not None:
            hits = np.count_nonzero(values >= threshold, axis=1) * (obs == 0)
            np.add.at(above, pat, hits)
        moved = np.minimum(width, seg_len - 1 - done)
        value = values[np.arange(pat.size), moved - 1]
        amp = amp * np.exp(lam_t * (moved * step)[:, None])
        done = done + moved


def _count_while_above(amp, lam, lvl, remaining, step, threshold) -> np.ndarray:
    """For curves proved decreasing from their current point (at or above the threshold):
    how many of the next ``remaining`` grid points are still at or above it (bisection)."""
    lo = np.zeros(amp.shape[0], dtype=np.int64)  # known >= threshold
    hi = remaining + 1  # first offset known below (or past the segment)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        value = np.sum(amp * np.exp(lam * (mid * step)[:, None]), axis=1) + lvl
        ok = value >= threshold
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo


def summarize_population(
    system: LinearSystem,
    inputs: Sequence[Input],
    n_points: int,
    step_min: float,
    band_index: np.ndarray,
    threshold: float | None = None,
    window_points: int = 120,
    workers: int = 2,
    chunk: int = 500,
) -> PopulationSummary:
    """Population summaries and band values without evaluating the whole grid.

    Between input start/stop times each mode decays by a constant factor per step, so the
    amplitudes at every segment start come from a short recurrence; AUC is integrated in
    closed form; grid maxima and threshold counts are evaluated point by point for
    ``window_points`` after each segment start and beyond that only where an upper bound
    says the answer could still change, so they equal a full-grid evaluation. Patients are
    split into chunks evaluated on ``workers`` threads (numpy releases the GIL).
    """
    system, inputs = _prune(system, inputs)
    n_pat = system.n_patients

    def run(lo: int) -> PopulationSummary:
        hi = min(n_pat, lo + chunk)
        part = LinearSystem(
            system.rate_matrix_per_min[lo:hi], system.observed, system.volumes_l[lo:hi]
        )
        moved = [
            Input(i.start_min, i.compartment, np.asarray(i.amount_mg)[lo:hi], i.duration_min)
            for i in inputs
        ]
        return _summarize_chunk(
            part, moved, n_points, step_min, band_index, threshold, window_points
        )

    starts = list(range(0, n_pat, chunk))
    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(run, starts))
    else:
        parts = [run(lo) for lo in starts]
    return PopulationSummary(
        cmax=np.concatenate([p.cmax for p in parts]),
        tmax_index=np.concatenate([p.tmax_index for p in parts]),
        auc=np.concatenate([p.auc for p in parts]),
        above=None if threshold is None else np.concatenate([p.above for p in parts]),
        bands=np.concatenate([p.bands for p in parts], axis=2),
    )
