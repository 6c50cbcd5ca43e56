"""``python -m avocado_vexfs.cli ...``: same as avocado-vexfs."""

import sys

from avocado_vexfs.cli.main import main

sys.exit(main())
