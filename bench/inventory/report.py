"""The inventory bench's per-dataset table."""

from __future__ import annotations

from bench.inventory.simulator import Replay


def report(name: str, results: dict[str, Replay]) -> None:
    """Print one dataset's figures."""
    print(
        f"  {'policy':15s} {'cycle SL':>9s} {'review SL':>9s} {'fill rate':>9s} {'avg stock':>11s} "
        f"{'avg value':>11s} {'orders':>7s}"
    )
    for policy, result in results.items():
        print(
            f"  {policy:15s} {result.cycle_service:9.3f} {result.window_service:9.3f} {result.fill_rate:9.3f} {result.average_stock:11.1f} "
            f"{result.average_value:11.1f} {result.orders:7d}"
        )
    ratio = results["engine"].average_stock / results["min/max"].average_stock
    print(f"  {name}: avg stock engine / min-max = {ratio:.3f} ({results['engine'].cycles} cycles)")
    if "min/max matched" in results:
        matched = results["engine"].average_stock / results["min/max matched"].average_stock
        print(f"  {name}: avg stock engine / min-max at the engine's service level = {matched:.3f}")
    if "oracle (future)" in results:
        bound = results["oracle (future)"].average_stock / results["min/max"].average_stock
        print(
            f"  {name}: avg stock oracle (future) / min-max = {bound:.3f}, at the engine's service level "
            "(a bound for per-item levels: it knows the replay window's demand distribution)"
        )
