"""Benchmarks for chaski-doctor: runnable scripts and the healthy loopback servers they share."""
