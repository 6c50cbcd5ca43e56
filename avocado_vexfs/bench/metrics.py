"""Repetitions of every metric, gathered for metrics.json in a test's logdir.

metrics.json is a list of {workload, params, metric, unit, higher_is_better, values}:
the report tables it (VexFS/ext4 ratios) and the baseline store records it.
"""
import json
import os


class Collector:
    """Values of each (workload, metric) in the order they were measured."""

    def __init__(self):
        self.entries = {}
        self.skipped = {}

    def add(self, spec, measurements):
        for item in measurements:
            key = (spec.name, item.metric)
            entry = self.entries.setdefault(key, {
                "workload": spec.name, "params": spec.params_text, "metric": item.metric,
                "unit": item.unit, "higher_is_better": item.higher_is_better, "values": []})
            entry["values"].append(float(item.value))

    def skip(self, spec, reason):
        self.skipped[spec.name] = reason

    def as_list(self):
        return list(self.entries.values())

    def write(self, directory, name="metrics.json"):
        """Write metrics.json (and skipped workloads, with their reason) atomically."""
        path = os.path.join(directory, name)
        data = self.as_list() + [{"workload": workload, "skipped": reason}
                                 for workload, reason in self.skipped.items()]
        with open(path + ".tmp", "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1)
        os.replace(path + ".tmp", path)
        return path


def load(path):
    """The measured entries of a metrics.json (skipped workloads left out)."""
    with open(path, encoding="utf-8") as handle:
        return [entry for entry in json.load(handle) if "values" in entry]
