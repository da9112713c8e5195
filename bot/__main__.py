"""`python -m bot` is the `vmdocker` command."""

import sys

from bot.cli import main

sys.exit(main())
