"""Job directories as Avocado writes them, built from table rows for the report tests."""
import json
import os
import shutil

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
LOG_FILES = (("metrics", "metrics.json"), ("retries", "infra-retries.json"),
             ("checks", "checks.json"))


def make_job(root, label, rows, repro=None):
    """results.json and test-results/<id>/ per row: debug.log, plus the row's console
    (a file of tests/data/console/), metrics, retries and checks (written as JSON)."""
    job_dir = os.path.join(root, f"job-2026-01-0{1 if label == 'old' else 2}T00.00-{label}")
    tests = []
    for index, row in enumerate(rows, 1):
        test_id = f"{index:02d}-{row['name']}"
        logdir = os.path.join(job_dir, "test-results", test_id)
        os.makedirs(logdir)
        with open(os.path.join(logdir, "debug.log"), "w", encoding="utf-8") as out:
            out.write(f"debug of {row['name']}\n")
        if "console" in row:
            shutil.copy(os.path.join(DATA, "console", row["console"]),
                        os.path.join(logdir, "console.log"))
        for key, name in LOG_FILES:
            if row.get(key):
                with open(os.path.join(logdir, name), "w", encoding="utf-8") as out:
                    json.dump(row[key], out)
        tests.append({"id": test_id, "name": row["name"], "status": row["status"],
                      "fail_reason": row.get("fail_reason", ""), "logdir": logdir,
                      "logfile": os.path.join(logdir, "debug.log"), "time_elapsed": 10.0})
    with open(os.path.join(job_dir, "results.json"), "w", encoding="utf-8") as out:
        json.dump({"job_id": label * 8, "tests": tests, "time": 60.0,
                   "start": "2026-01-01 00:00:00"}, out)
    if repro:
        with open(os.path.join(job_dir, "repro.json"), "w", encoding="utf-8") as out:
            json.dump(repro, out)
    return job_dir
