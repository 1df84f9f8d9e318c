"""Sharing over HTTP under load: verification (数据核验) and key lookups through the real server
(uvicorn, one process, with its ledger writer process), with application-credential
authentication, the grant check, masking and evidence recording all on, driven by ``wrk`` as a
separate process on loopback; and the same JSON from a bare Starlette endpoint on the same
server stack, the framework's ceiling.

    .venv/bin/python -m bench.share_http_bench [--people 100000] [--seconds 20] [--connections 64]

Needs ``wrk`` (Debian package ``wrk``; ``make bench`` installs it when missing).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

BODY = {"result": "match", "items": {"姓名": "match"}, "snapshot_id": "1", "evidence": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.bare:
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def verify(request):
            await request.body()
            return JSONResponse(BODY)

        async def record(request):
            return JSONResponse(BODY)

        app = Starlette(routes=[Route("/verify", verify, methods=["POST"]), Route("/records/{key}", record)])
    else:
        from huitong.api.app import create_app
        from huitong.config import Settings

        settings = Settings(
            data_dir=Path(args.data_dir), database_url=args.db_url, ledger_process=not args.ledger_thread
        )
        app = create_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


def wait_up(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"server at {url} did not start")


def lua_script(path: Path, method: str, requests: list[tuple[str, str]], auth: str | None) -> None:
    """A wrk script cycling through prepared (path, body) pairs."""
    entries = ",\n".join(f"{{{json.dumps(p)}, {json.dumps(b, ensure_ascii=False)}}}" for p, b in requests)
    header = f'wrk.headers["Authorization"] = "Basic {auth}"\n' if auth else ""
    path.write_text(
        f"""wrk.method = "{method}"
wrk.headers["Content-Type"] = "application/json"
{header}local reqs = {{
{entries}
}}
local i = 0
request = function()
  i = i % #reqs + 1
  return wrk.format(nil, reqs[i][1], nil, reqs[i][2] ~= "" and reqs[i][2] or nil)
end
""",
        encoding="utf-8",
    )


def ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its live children (the ledger writer
    process is the server's work too; Linux /proc)."""
    total = 0
    for p in (pid, *children(pid)):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def run_wrk(url: str, script: Path, seconds: int, connections: int, server_pid: int) -> dict:
    cpu = cpu_seconds(server_pid)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lat = dict(re.findall(r"^\s+(50|75|90|99)(?:\.0+)?%\s+(\S+)\s*$", out, re.M))
    if "99" not in lat:
        raise SystemExit(f"could not read wrk output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    cpu = cpu_seconds(server_pid) - cpu
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        # the server's own CPU per answered call: steadier than throughput on a shared machine
        "server_cpu_us_per_request": round(cpu / max(done, 1) * 1e6),
        "p50_ms": ms(lat["50"]),
        "p99_ms": ms(lat["99"]),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite", help="metadata database")
    ap.add_argument(
        "--ledger-thread",
        action="store_true",
        help="write evidence from a thread of the server (ledger_process = false)",
    )
    ap.add_argument("--out", type=Path, default=Path("bench/results/share_http.json"))
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--db-url", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    from bench.share_bench import setup
    from huitong.share import credentials

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        db, store, gid, rows, _, mz = setup(args.backend, work, args.people, layout="server")
        with db.session() as s:
            cred, secret = credentials.create(s, mz, "bench")
        url = str(db.engine.url)
        store.close()
        db.dispose()
        auth = base64.b64encode(f"{cred.client_id}:{secret}".encode()).decode()
        rng = random.Random(3)
        sample = [rows[rng.randrange(len(rows))] for _ in range(2000)]
        verify_reqs = [
            (
                f"/api/share/grants/{gid}/verify",
                json.dumps(
                    {"values": {"公民身份号码": r[0], "姓名": r[1] if i % 4 else "某某"}}, ensure_ascii=False
                ),
            )
            for i, r in enumerate(sample)
        ]
        lookup_reqs = [(f"/api/share/grants/{gid}/records/{r[0]}", "") for r in sample]
        results: dict = {
            "date": date.today().isoformat(),
            "people": len(rows),
            "connections": args.connections,
            "backend": args.backend,
            "ledger_writer": "thread" if args.ledger_thread else "process",
            "seconds": args.seconds,
        }
        port, bare_port = free_port(), free_port()
        me = [sys.executable, "-m", "bench.share_http_bench", "--serve"]
        if args.ledger_thread:
            me.append("--ledger-thread")
        server = subprocess.Popen([*me, "--data-dir", str(work), "--db-url", url, "--port", str(port)])
        bare = subprocess.Popen([*me, "--bare", "--port", str(bare_port)])
        try:
            wait_up(f"http://127.0.0.1:{port}/api/health", server)
            wait_up(f"http://127.0.0.1:{bare_port}/records/x", bare)
            base = f"http://127.0.0.1:{port}"
            # The first call of each kind builds its in-memory index of the granted version
            # (about 0.3 s at 100,000 records); the figures are for the server once warm.
            headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}
            for path, body in (verify_reqs[0], lookup_reqs[0]):
                first = httpx.request(
                    "POST" if body else "GET", base + path, content=body.encode(), headers=headers, timeout=60
                )
                first.raise_for_status()
            for name, method, reqs, target, bare_target in (
                ("verify", "POST", verify_reqs, base, f"http://127.0.0.1:{bare_port}"),
                ("lookup", "GET", lookup_reqs, base, f"http://127.0.0.1:{bare_port}"),
            ):
                script = work / f"{name}.lua"
                lua_script(script, method, reqs, auth)
                results[name] = run_wrk(target, script, args.seconds, args.connections, server.pid)
                bare_reqs = [
                    ("/verify" if name == "verify" else f"/records/{i}", b) for i, (_, b) in enumerate(reqs)
                ]
                bare_script = work / f"{name}-bare.lua"
                lua_script(bare_script, method, bare_reqs, None)
                results[f"{name}_bare"] = run_wrk(
                    bare_target, bare_script, args.seconds, args.connections, bare.pid
                )
                results[f"{name}_share_of_bare"] = round(
                    results[name]["requests_per_s"] / results[f"{name}_bare"]["requests_per_s"], 3
                )
                print(
                    name, json.dumps(results[name]), "bare", json.dumps(results[f"{name}_bare"]), flush=True
                )
        finally:
            for p in (server, bare):
                p.terminate()
                p.wait(timeout=30)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
