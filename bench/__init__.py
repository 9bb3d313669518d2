"""Benchmarks: every figure a ratio against the raw driver on the same database, same run."""
