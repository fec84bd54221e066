"""`python -m bench [--quick]`."""

from bench.suite import main

raise SystemExit(main())
