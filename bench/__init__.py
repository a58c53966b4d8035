"""Benchmarks: each prints its numbers as ratios against a baseline from the same run."""
