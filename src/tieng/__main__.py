"""``python -m tieng``: the same as the ``tieng`` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
