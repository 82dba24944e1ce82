"""``python -m hexkit.cli``: the ``hexkit`` console script."""

import sys

from hexkit.cli import main

sys.exit(main())
