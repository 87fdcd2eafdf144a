"""Benchmarks of the course: `make bench` (python -m benchmarks) writes benchmarks/RESULTS.md."""
