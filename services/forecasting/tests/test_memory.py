"""The engine turns numpy's huge-page advice off only where the kernel would stall to honour it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from forecasting.engine.memory import avoid_compaction_stalls, selected


@pytest.fixture
def advice() -> Iterator[None]:
    """numpy's huge-page advice on for the test, restored after it."""
    before = np._core.multiarray._set_madvise_hugepage(True)
    yield
    np._core.multiarray._set_madvise_hugepage(before)


def test_selected_reads_the_bracketed_choice() -> None:
    assert selected("always defer defer+madvise [madvise] never\n") == "madvise"
    assert selected("[always] defer never") == "always"
    assert selected("never\n") == "never"


@pytest.mark.parametrize(
    "setting", ["always defer defer+madvise [madvise] never", "always [defer+madvise] never"]
)
def test_a_stalling_defrag_setting_turns_the_advice_off(tmp_path: Path, advice: None, setting: str) -> None:
    defrag = tmp_path / "defrag"
    defrag.write_text(setting + "\n")
    assert avoid_compaction_stalls(defrag)
    assert not np._core.multiarray._get_madvise_hugepage()


@pytest.mark.parametrize("setting", ["always defer defer+madvise madvise [never]", "always [defer] never"])
def test_other_settings_keep_it(tmp_path: Path, advice: None, setting: str) -> None:
    defrag = tmp_path / "defrag"
    defrag.write_text(setting + "\n")
    assert not avoid_compaction_stalls(defrag)
    assert np._core.multiarray._get_madvise_hugepage()


def test_no_setting_keeps_it(tmp_path: Path, advice: None) -> None:
    assert not avoid_compaction_stalls(tmp_path / "missing")
    assert np._core.multiarray._get_madvise_hugepage()
