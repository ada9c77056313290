"""Customer segmentation engine: RFM features, K-Means segments with names, CLV and migration.

Pure: sales lines (a DataFrame) and parameters in, DataFrames and dataclasses out.
"""

from segmentation.engine.clv import (
    BGNBDParams,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_p_alive,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
)
from segmentation.engine.features import customer_features
from segmentation.engine.migration import GONE_SEGMENT, NEW_SEGMENT, segment_migration
from segmentation.engine.segments import SegmentationResult, segment_customers

__all__ = [
    "GONE_SEGMENT",
    "NEW_SEGMENT",
    "BGNBDParams",
    "GammaGammaParams",
    "SegmentationResult",
    "bgnbd_expected_purchases",
    "bgnbd_p_alive",
    "customer_features",
    "customer_lifetime_value",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "gamma_gamma_expected_spend",
    "segment_customers",
    "segment_migration",
]
