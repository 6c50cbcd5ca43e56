"""``python -m avocado_vexfs.console FILE...``: same as avocado-vexfs-console."""

import sys

from avocado_vexfs.console.cli import main

sys.exit(main())
