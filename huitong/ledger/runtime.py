"""The server's ledger upkeep: sequence new entries within a fraction of a second and sign
a checkpoint whenever the tree has grown and the interval has passed. When the ledger writer
process sequences (see :mod:`huitong.ledger.process`), this thread only signs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from huitong.db.base import Database

log = logging.getLogger("huitong.ledger")


class LedgerDaemon:
    def __init__(
        self,
        db: Database,
        *,
        interval: float = 0.2,
        checkpoint_every: float = 60.0,
        sequence: Callable[[], bool] | bool = True,
    ) -> None:
        self.db, self.interval, self.checkpoint_every = db, interval, checkpoint_every
        # whether this thread sequences now: not while a live writer process does it
        self.sequence = sequence if callable(sequence) else (lambda: sequence)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="huitong-ledger", daemon=True)

    def start(self) -> LedgerDaemon:
        self._thread.start()
        return self

    def _run(self) -> None:
        from huitong.ledger.log import sequencer
        from huitong.ledger.service import keys_of, sign_checkpoint

        last_signed = 0.0
        while not self._stop.wait(self.interval):
            try:
                if self.sequence():
                    sequencer(self.db).integrate()
                if keys_of(self.db) and time.monotonic() - last_signed >= self.checkpoint_every:
                    sign_checkpoint(self.db)
                    last_signed = time.monotonic()
            except Exception:  # keep going: a failed batch stays pending and is retried
                log.exception("ledger upkeep failed; retrying")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        from huitong.ledger.log import sequencer

        sequencer(self.db).integrate()
