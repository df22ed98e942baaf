"""Another CareLedger process, for the eviction test: opens a customer's contact again and
again (from its key cache: CARELEDGER_KEY_CACHE_SECONDS is long) and prints `ready` after the
first opening, then `erased <time.time()>` once it reads the erased marker.

    python -m tests.application.key_reader <customer id>
"""

from __future__ import annotations

import sys
import time
from uuid import UUID

from application.app import CareLedger
from application.settings import Settings
from application.vault import ERASED
from domain.customer import Customer

POLL_S = 0.005
GIVE_UP_S = 30.0


def main(customer_id: UUID) -> int:
    with CareLedger(Settings.from_env()) as app:
        contact = app.load(Customer, customer_id).contact
        if app.vault.open(contact) == ERASED:
            print("erased before we began", flush=True)
            return 1
        print("ready", flush=True)
        deadline = time.monotonic() + GIVE_UP_S
        while time.monotonic() < deadline:
            if app.vault.open(contact) == ERASED:
                print(f"erased {time.time()}", flush=True)
                return 0
            time.sleep(POLL_S)
    print("still open", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(UUID(sys.argv[1])))
