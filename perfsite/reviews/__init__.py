"""Reviews: review settings per cycle, self and manager reviews, scores, calibration and
completion."""
