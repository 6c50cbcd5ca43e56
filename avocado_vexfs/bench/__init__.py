"""Benchmarks: workloads run in a guest on a mounted filesystem, judged against baselines.

fio (fio.py), metadata rates (metadata.py) and stress-ng/dbench (stress.py) are wrapped
here; the benchmark spec from cfg (spec.py) says which runs with which options, and
metrics.py collects repetitions into the metrics.json a test leaves in its logdir.
runner runs a spec and judges it, stats compares distributions, baseline stores every
repetition, and estimate sums how long a level will take.
"""
