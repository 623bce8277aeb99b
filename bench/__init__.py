"""Benchmarks at clinic-network scale: run them with `make bench` (see bench/README.md)."""
