"""Benchmarks: ``python -m tests.bench`` measures fit, intelligibility, voice and speed."""
