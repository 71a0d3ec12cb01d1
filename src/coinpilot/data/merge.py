"""Idempotent upsert of a clean series into a stored one (SPEC C06, F02, P40, P41).

Rules: new times are appended; on an overlapping time the incoming row is the newer data and
wins (keep last, P41), except that a missing incoming value (NaN, or a column the incoming
source does not have) never erases a stored one (P40: a poorer source must not blank a richer
one). The result is sorted and unique. Merging the same rows twice changes nothing, which is
what makes re-running an import safe (F02).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from coinpilot.data.report import ms_to_times


@dataclass
class MergeStats:
    """What an upsert did, so an import can say it and a re-run can prove it changed nothing."""
    appended: int = 0
    unchanged: int = 0
    replaced: list[pd.Timestamp] = field(default_factory=list)
    rows: int = 0

    @property
    def changed(self) -> bool:
        """False when the merge is a no-op: the store then skips the write."""
        return bool(self.appended or self.replaced)


def merge_series(
    stored: pd.DataFrame | None, incoming: pd.DataFrame, time_col: str
) -> tuple[pd.DataFrame, MergeStats]:
    """Merged frame (RangeIndex, sorted by `time_col`) and what changed; inputs must be clean."""
    if stored is None or not len(stored):
        merged = incoming.sort_values(time_col, kind="stable").reset_index(drop=True)
        return merged, MergeStats(appended=len(merged), rows=len(merged))
    cols = [*stored.columns, *(c for c in incoming.columns if c not in stored.columns)]
    old = stored.set_index(time_col).reindex(columns=cols[1:])
    new = incoming.set_index(time_col).reindex(columns=cols[1:])
    common = old.index.intersection(new.index)
    fresh = new.index.difference(old.index)

    old_common = old.loc[common].to_numpy(np.float64, na_value=np.nan)
    new_common = new.loc[common].to_numpy(np.float64, na_value=np.nan)
    patched = np.where(np.isnan(new_common), old_common, new_common)
    differs = ~((patched == old_common) | (np.isnan(patched) & np.isnan(old_common))).all(axis=1)

    body = old.copy()
    if len(common):
        body.iloc[old.index.get_indexer(common), :] = patched
    body = pd.concat([body, new.loc[fresh]]) if len(fresh) else body
    body = body.sort_index(kind="stable")
    merged = body.reset_index().rename(columns={"index": time_col})
    for col in cols[1:]:
        merged[col] = merged[col].astype(np.float64)
    replaced_ms = common[differs].to_numpy(dtype="datetime64[ms]").astype(np.int64)
    stats = MergeStats(
        appended=len(fresh),
        unchanged=int((~differs).sum()),
        replaced=list(ms_to_times(replaced_ms)),
        rows=len(merged),
    )
    return merged, stats
