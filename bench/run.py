"""``make bench``: every benchmark at its reference size; figures go to bench/results/*.json
and are copied by hand, with the command and date, into docs/benchmarks.md."""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    ["bench.catalog_search_db", "--docs", "100000"],
    ["bench.catalog_import_bench", "--entries", "10000", "--existing", "20000"],
    ["bench.ledger_bench", "--entries", "200000"],
    ["bench.search_index_bench", "--docs", "100000"],
    ["bench.load_bench", "--rows", "200000"],
    ["bench.kernel_bench", "--rows", "1000000"],
    ["bench.columnar_load_bench", "--rows", "1000000"],
    ["bench.quality_bench", "--rows", "1000000"],
    ["bench.kanon_bench", "--rows", "1000000"],
    ["bench.discovery_bench", "--rows", "1000000"],
    ["bench.share_bench", "--people", "100000"],
    ["bench.share_http_bench", "--people", "100000"],
    ["bench.fusion_bench", "--people", "75000", "--entities", "20000"],
]


def main() -> int:
    failed = 0
    for args in BENCHES:
        print(f"\n=== python -m {' '.join(args)}", flush=True)
        failed += subprocess.call([sys.executable, "-m", *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
