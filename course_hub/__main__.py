"""`python -m course_hub …` is the `course-hub` command."""

import sys

from .cli import main

sys.exit(main())
