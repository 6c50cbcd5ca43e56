"""avocado-vexfs: the library, its command line tools and its Avocado plugins."""
from setuptools import find_packages, setup

setup(
    name="avocado-vexfs",
    version="0.1.0",
    description="Virtual-machine test framework for the VexFS kernel module, on Avocado-VT",
    license="GPL-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["avocado_vexfs", "avocado_vexfs.*"]),
    package_data={"avocado_vexfs": ["vm/templates/*.j2", "checks/guest/*.py",
                                     "report/templates/*.j2"]},
    install_requires=[
        "avocado-framework==113.*",
        "avocado-framework-plugin-vt==113.*",
        # variants files (-m) for the instrumented tests (tests-instrumented/)
        "avocado-framework-plugin-varianter-yaml-to-mux==113.*",
        "aexpect>=1.8,<2",
        "libvirt-python>=9.0",
        "jinja2>=3,<4",
        "setuptools<81",
    ],
    # pytest-xdist: make test runs the end-to-end files on two workers
    extras_require={"test": ["pytest>=7,<9", "pytest-xdist>=3,<4"]},
    entry_points={
        "console_scripts": [
            "avocado-vexfs=avocado_vexfs.cli.main:main",
            "avocado-vexfs-console=avocado_vexfs.console.cli:main",
        ],
        "avocado.plugins.cli": [
            "vexfs_vtconfig = avocado_vexfs.vt.config_plugin:VtConfigCheck",
        ],
        "avocado.plugins.init": [
            "vexfs_html = avocado_vexfs.report.plugin:VexfsReportInit",
        ],
        "avocado.plugins.result_events": [
            "vexfs_guest_pool = avocado_vexfs.vt.pool_plugin:GuestPool",
        ],
        "avocado.plugins.result": [
            "vexfs_html = avocado_vexfs.report.plugin:VexfsReport",
            "repro = avocado_vexfs.triage.plugin:ReproResult",
        ],
    },
)
