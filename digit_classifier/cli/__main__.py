"""``python -m digit_classifier.cli``: the same command line as ``digit-classifier``."""

import sys

from digit_classifier.cli import main

sys.exit(main())
