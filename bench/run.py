"""`python bench/run.py [--quick]`: the same as `python -m bench`, from the repository root."""

import sys
from pathlib import Path


def _main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.suite import main

    return main()


if __name__ == "__main__":
    raise SystemExit(_main())
