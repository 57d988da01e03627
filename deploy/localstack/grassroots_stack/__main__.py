import sys

from grassroots_stack.cli import main

sys.exit(main())
