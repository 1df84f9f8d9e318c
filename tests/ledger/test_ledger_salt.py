"""Entry salts: never repeated, within a process, across threads, or in a forked child."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor

from huitong.ledger.leaf import details_hash, new_salt


def test_salts_are_128_bit_hex_and_never_repeat_across_threads():
    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _: [new_salt() for _ in range(5000)], range(4)))
    salts = [s for b in batches for s in b]
    assert all(re.fullmatch(r"[0-9a-f]{32}", s) for s in salts)
    assert len(set(salts)) == len(salts)


def test_the_same_details_hash_differently_under_two_salts():
    assert details_hash(new_salt(), '{"n":1}') != details_hash(new_salt(), '{"n":1}')


def test_a_forked_child_draws_other_salts_than_its_parent():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next salts, then leave without running pytest's exit
        os.write(write, "".join(new_salt() for _ in range(100)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        theirs = f.read()
    os.waitpid(pid, 0)
    ours = "".join(new_salt() for _ in range(100))
    child = {theirs[i : i + 32] for i in range(0, len(theirs), 32)}
    assert len(child) == 100
    assert not child & {ours[i : i + 32] for i in range(0, len(ours), 32)}
