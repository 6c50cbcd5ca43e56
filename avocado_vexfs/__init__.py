"""avocado-vexfs: virtual-machine test framework for the VexFS kernel module.

The library holds all the logic; the Avocado-VT provider in test-providers/vexfs, the
instrumented tests in tests-instrumented/ and the Avocado plugins only call into it.
"""
