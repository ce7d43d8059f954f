"""Benchmarks, fuzzing and load tools (``make bench``, ``make fuzz``, ``make load``)."""
