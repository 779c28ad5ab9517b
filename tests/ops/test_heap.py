"""Objects made at start-up leave the cyclic collector's generations."""

from __future__ import annotations

import gc

from portfolio_rt.ops.heap import freeze_startup_heap


def test_freezing_moves_the_live_heap_out_of_the_collected_generations() -> None:
    try:
        frozen = freeze_startup_heap()
        assert frozen > 1000
        assert frozen == gc.get_freeze_count()
        assert sum(gc.get_count()) < frozen  # what is left to walk is only what came after
    finally:
        gc.unfreeze()
