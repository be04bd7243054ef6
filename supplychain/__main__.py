"""``python -m supplychain``: the same as the ``supplychain`` command."""

import sys

from supplychain.cli import main

if __name__ == "__main__":
    sys.exit(main())
