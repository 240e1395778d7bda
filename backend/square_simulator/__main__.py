"""``python -m square_simulator serve|bench`` — see ``--help``."""

from __future__ import annotations

from .cli import main

# Guarded so that importing the module (e.g. by multiprocessing) does not start the CLI.
if __name__ == "__main__":
    raise SystemExit(main())
