import sys

from nexusgen.entry import main

sys.exit(main())
