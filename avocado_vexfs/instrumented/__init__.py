"""VexFS tests written as Avocado instrumented tests (tests-instrumented/), on our guests.

The second way to write a test, beside the Avocado-VT provider (test-providers/): one
Python file with an avocado.Test subclass, run by ``avocado run file.py`` with Avocado's
own tags (``:avocado: tags=``), parameters (``-p``) and variants files (``-m``).
Everything else is the provider's: its steps, cfg keys, verdicts and artifacts.

base      FilesystemTest: parameters, build, guest, mkfs/mount, verdict around each method
params    Avocado's parameters as the provider's params dict, with its defaults, validated
replay    saved cases re-played in a guest, one kind per cfg key that names the file
"""
