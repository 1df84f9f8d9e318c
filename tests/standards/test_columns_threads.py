"""Two loads run in one process (API background tasks): the kernels keep no shared state, so
threads judging columns of different sizes at once get each their own answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa

from huitong.standards import columns


def test_threads_judging_dates_of_different_sizes_at_once_agree_with_one_thread():
    arrays = [
        pa.array([f"2023-{1 + i % 12}-{1 + i % 28}" if i % 7 else "2023年2月30日" for i in range(n)])
        for n in (3, 5000, 17, 40000, 1)
    ]
    alone = [columns.dates(a).certified.tolist() for a in arrays]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(20):
            together = list(pool.map(lambda a: columns.dates(a).certified.tolist(), arrays * 4))
            assert together == alone * 4
