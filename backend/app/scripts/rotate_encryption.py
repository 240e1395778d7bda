"""Re-encrypt every stored Square token with the newest ENCRYPTION_KEY.

Key rotation without losing tokens:
  1. put the new key first: ENCRYPTION_KEY=<new>,<old>   (both decrypt; new values use <new>)
  2. restart, then run:     python -m app.scripts.rotate_encryption
  3. drop the old key:      ENCRYPTION_KEY=<new>         and restart again
"""

from __future__ import annotations

import argparse
import sys

from app.core.crypto import DecryptionError
from app.core.db import session_scope
from app.square import service as square_service


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    try:
        with session_scope() as db:
            count = square_service.reencrypt_tokens(db=db)
    except DecryptionError as exc:
        print(f"Error: {exc}; is the old key still listed in ENCRYPTION_KEY?", file=sys.stderr)
        return 1
    print(f"Re-encrypted the tokens of {count} Square connection(s) with the newest key")
    return 0


if __name__ == "__main__":
    sys.exit(main())
