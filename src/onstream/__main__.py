"""`python -m onstream` runs the command line, like the `onstream` script."""

import sys

from onstream.cli import main

sys.exit(main())
