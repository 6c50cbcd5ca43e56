"""The Avocado glue: the provider's steps, Avocado's offline set-up, the cfg-check plugin.

steps is what every provider test calls (booted_guest, build_filesystem, ...);
avocado_setup makes `avocado run --vt-config` work on our local provider;
config_plugin checks a run's cfg before Avocado builds the suite.
facts writes what a test ran on (kernel, image, builds, crash step) as facts.json.
"""
