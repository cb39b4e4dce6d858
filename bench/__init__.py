"""Benchmarks behind ``buddy bench``: inference speed of KoBERT serving, and core load.

They print JSON figures for docs/BENCHMARKS.md; the tests run them in ``--quick`` mode only
to check that they work, never how fast they are.
"""
