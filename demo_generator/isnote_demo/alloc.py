"""Integer allocation helpers of the demo generator (amounts in cents, counts)."""

from __future__ import annotations

import numpy as np


def largest_remainder(total: int, weights, minimum: int = 0) -> np.ndarray:
    """Split the integer `total` in proportion to `weights`, each part >= `minimum`, exactly."""
    w = np.asarray(weights, dtype="float64")
    n = len(w)
    if n == 0:
        if total:
            raise ValueError(f"cannot split {total} into zero parts")
        return np.zeros(0, dtype="int64")
    base = minimum * n
    if total < base:
        raise ValueError(f"total {total} below the minimum {minimum} x {n}")
    rest = total - base
    if w.sum() <= 0:
        w = np.ones(n)
    raw = rest * w / w.sum()
    parts = np.floor(raw).astype("int64")
    left = int(rest - parts.sum())
    if left:
        order = np.argsort(-(raw - parts), kind="stable")[:left]
        parts[order] += 1
    return parts + minimum


def cap_weights(weights, cap_share: float) -> np.ndarray:
    """Normalised weights where no share exceeds `cap_share` (the excess goes to the others)."""
    w = np.asarray(weights, dtype="float64")
    w = w / w.sum()
    if cap_share * len(w) <= 1:
        return np.full(len(w), 1.0 / len(w))
    for _ in range(100):
        over = w > cap_share
        if not over.any():
            break
        excess = float((w[over] - cap_share).sum())
        w[over] = cap_share
        under = ~over
        w[under] += excess * w[under] / w[under].sum()
    return w


def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray, iters: int = 500) -> np.ndarray:
    """Iterative proportional fitting of a non-negative matrix to row and column sums."""
    x = seed.astype("float64").copy()
    for _ in range(iters):
        rs = x.sum(axis=1)
        x *= np.divide(rows, rs, out=np.zeros_like(rows, dtype="float64"), where=rs > 0)[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cols, dtype="float64"), where=cs > 0)[None, :]
        if np.allclose(x.sum(axis=1), rows, rtol=0, atol=1e-6):
            break
    return x


def integer_matrix(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Round a real matrix with integer margins to integers with exactly those margins.

    Floors every cell, then adds one unit to some cells with a fractional part, chosen by a
    max-flow so that every row and column deficit is met (always possible: the fractional parts
    themselves are a solution of the relaxed problem)."""
    rows = np.asarray(rows, dtype="int64")
    cols = np.asarray(cols, dtype="int64")
    base = np.floor(x + 1e-9).astype("int64")
    rdef = rows - base.sum(axis=1)
    cdef = cols - base.sum(axis=0)
    if (rdef < 0).any() or (cdef < 0).any() or rdef.sum() != cdef.sum():
        raise ValueError("inconsistent margins")
    frac = (x - base) > 1e-9
    nr, nc = x.shape
    # bipartite max-flow: source -> rows (cap rdef) -> cells (cap 1 if frac) -> cols (cap cdef) -> sink
    flow = np.zeros((nr, nc), dtype="int64")
    rused = np.zeros(nr, dtype="int64")
    cused = np.zeros(nc, dtype="int64")

    def augment() -> bool:
        # BFS over rows with spare capacity, alternating paths row -> col (add) and col -> row (remove)
        prev_row: dict[int, tuple] = {}
        prev_col: dict[int, int] = {}
        frontier = [i for i in range(nr) if rused[i] < rdef[i]]
        for i in frontier:
            prev_row[i] = ("src",)
        while frontier:
            nxt = []
            for i in frontier:
                for j in range(nc):
                    if frac[i, j] and flow[i, j] == 0 and j not in prev_col:
                        prev_col[j] = i
                        if cused[j] < cdef[j]:
                            # unwind
                            cused[j] += 1
                            jj, ii = j, i
                            while True:
                                flow[ii, jj] += 1
                                p = prev_row[ii]
                                if p[0] == "src":
                                    rused[ii] += 1
                                    return True
                                jj = p[1]
                                flow[ii, jj] -= 1
                                ii = prev_col[jj]
                        for k in range(nr):
                            if flow[k, j] == 1 and k not in prev_row:
                                prev_row[k] = ("col", j)
                                nxt.append(k)
            frontier = nxt
        return False

    need = int(rdef.sum())
    for _ in range(need):
        if not augment():
            raise ValueError("no integer rounding with these margins")
    return base + flow
