"""One web instance against two behind the proxy, on this machine, in one run: the mixed load of
benchmarks/load_mixed.py (webcam frames and photo uploads, then the database check) through
``--base``, against stacks of benchmarks/stack.py (gunicorn instances with PostgreSQL and Redis,
nginx in front with compose's proxy settings).

    python benchmarks/scale_out.py [--clients 8] [--seconds 20] [--workers 2] [--json OUT]

Configurations: one instance reached directly, one instance behind nginx (what the proxy costs),
two instances behind nginx. Each instance runs --workers gunicorn workers (WEB_CONCURRENCY). Prints
a Markdown table (the README's); needs what tests/test_stack.py needs (PostgreSQL, Redis, nginx).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stack import LocalStack, missing_services  # noqa: E402

CONFIGURATIONS = [("1 instance, direct", 1, False), ("1 instance behind nginx", 1, True),
                  ("2 instances behind nginx", 2, True)]
# The load sends frames back to back, faster than any camera: limits would turn capacity into 429s.
UNLIMITED = {"WEBCAM_FRAME_LIMIT": "100000 per second", "API_LIMIT_PER_USER": "100000 per minute",
             "API_LIMIT_PER_ADDRESS": "100000 per minute", "API_LIMIT_PER_TOKEN": "100000 per minute"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    missing = missing_services()
    if missing:
        sys.exit("needs " + ", ".join(missing))

    results = []
    for label, instances, proxy in CONFIGURATIONS:
        with LocalStack(instances=instances, proxy=proxy, environment=UNLIMITED,
                        workers_per_instance=args.workers) as stack, tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "load.json"
            done = subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "load_mixed.py"), "--base", f"http://127.0.0.1:{stack.port}",
                 "--database-url", stack.database_url, "--clients", str(args.clients), "--seconds", str(args.seconds),
                 "--json", str(out)], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True)
            print(f"== {label}\n{done.stdout}{done.stderr[-2000:]}", flush=True)
            report = json.loads(out.read_text()) if out.exists() else None
        results.append({"configuration": label, "instances": instances, "proxy": proxy, "exit": done.returncode,
                        "report": report})

    print(f"\n{args.clients} clients, {args.seconds:.0f} s each, {args.workers} workers per instance, "
          f"{os.cpu_count()} CPUs\n")
    print("| Configuration | Frames/s | Frame p50 / p95 ms | Uploads/s | Upload p50 / p95 ms | 5xx | Mismatches |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        report = result["report"]
        if not report:
            print(f"| {result['configuration']} | failed (exit {result['exit']}) | | | | | |")
            continue
        frame, upload = report["kinds"]["frame"], report["kinds"]["upload"]
        print(f"| {result['configuration']} | {frame['per_second']} | {frame['p50_ms']} / {frame['p95_ms']} | "
              f"{upload['per_second']} | {upload['p50_ms']} / {upload['p95_ms']} | {report['server_errors']} | "
              f"{report['wrong_answers'] + len(report['database_mismatches'])} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if any(result["exit"] for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
