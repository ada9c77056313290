"""How the engine's process asks the kernel for memory.

numpy advises huge pages (madvise MADV_HUGEPAGE) for every array of 4 MB or more. Where the
kernel's transparent-huge-page defrag setting is "always", "madvise" or "defer+madvise", a page
fault in such a region stalls on synchronous memory compaction whenever no huge page is free
(numpy/numpy#31590). The engine allocates and drops arrays of tens of MB per forecast (features,
the price response's design), so on such a kernel the stalls cost more CPU than huge pages save.
"""

from __future__ import annotations

import importlib
from pathlib import Path

THP_DEFRAG = Path("/sys/kernel/mm/transparent_hugepage/defrag")
# Defrag settings under which a fault in an madvised region compacts memory synchronously.
STALLING = ("always", "madvise", "defer+madvise")


def selected(setting: str) -> str:
    """The selected value of a kernel multiple-choice setting ("a [b] c" -> "b")."""
    start, end = setting.find("["), setting.find("]")
    return setting[start + 1 : end] if 0 <= start < end else setting.strip()


def avoid_compaction_stalls(defrag: Path = THP_DEFRAG) -> bool:
    """Turn numpy's huge-page advice off where the kernel would stall to honour it; True if turned off."""
    try:
        setting = defrag.read_text()
    except OSError:
        return False
    toggle = getattr(importlib.import_module("numpy._core.multiarray"), "_set_madvise_hugepage", None)
    if selected(setting) not in STALLING or toggle is None:
        return False
    toggle(False)
    return True
