"""Alerts seeded by example papers ("papers like these"): engines, seeds and the matcher."""
