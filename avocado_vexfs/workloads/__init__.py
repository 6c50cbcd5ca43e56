"""Workloads run in a guest on a mounted filesystem; each returns Measurements.

fio (fio.py), metadata rates (metadata.py) and stress-ng/dbench (stress.py) are wrapped
here; the benchmark spec from cfg (spec.py) says which runs with which options, and
metrics.py collects repetitions into the metrics.json a test leaves in its logdir.
"""
