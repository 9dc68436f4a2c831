#!/usr/bin/env python3
"""Compile the human-edited requirement inputs (*.in) into pinned lock files with hashes.

    scripts/lock.py                          # after editing an .in file: only what changed moves
    scripts/lock.py --upgrade                # every package to its newest allowed version
    scripts/lock.py --upgrade-package flask  # one package (repeatable)
    scripts/lock.py --check                  # offline: which locks are older than their inputs

The tool is uv (`uv pip compile`, in requirements-dev.txt; `pip install uv` is enough). Pins already
in a lock are kept unless an input asks otherwise or an upgrade is requested. The locks target
CPython 3.11 on x86-64 Linux: the Docker image, Render and CI.

Locks, in order (each later one is constrained to the pins of the earlier ones it lists, so that
files installed together never disagree):

* requirements.txt        <- requirements.in                 (the web process; Dockerfile, run.sh)
* requirements-train.txt  <- requirements-train.in           (training; constrained by requirements.txt)
* requirements-dev.txt    <- requirements-dev.in             (tests; constrained by the two above)
* requirements-bench.txt  <- requirements-bench.in           (benchmark baselines, an environment
                                                              of their own: OpenCV 4)

Each lock's header records a digest of its inputs (the requirement lines of the .in file and of
the files it includes, and the pins of its constraint locks); tests/test_locks.py fails when an
input no longer matches its lock, i.e. when an .in file was edited and this script was not run.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.11"
PYTHON_PLATFORM = "x86_64-manylinux_2_28"
DIGEST_PREFIX = "# inputs sha256: "
# lock file -> (its input, the locks it is constrained by)
LOCKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "requirements.txt": ("requirements.in", ()),
    "requirements-train.txt": ("requirements-train.in", ("requirements.txt",)),
    "requirements-dev.txt": ("requirements-dev.in", ("requirements.txt", "requirements-train.txt")),
    "requirements-bench.txt": ("requirements-bench.in", ()),
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def requirement_lines(path: Path, seen: set[Path] | None = None) -> list[str]:
    """The requirement lines of an .in file and of the files it includes with -r, comments,
    blank lines and spacing left out (editing a comment needs no new lock)."""
    seen = set() if seen is None else seen
    if path in seen:
        return []
    seen.add(path)
    lines = []
    for raw in path.read_text().splitlines():
        line = " ".join(raw.split("#", 1)[0].split())
        if not line:
            continue
        included = re.match(r"^(-r|--requirement)\s*=?\s*(\S+)$", line)
        if included:
            lines.append(f"-r {included.group(2)}")
            lines += requirement_lines(path.parent / included.group(2), seen)
        else:
            lines.append(line)
    return lines


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every package a lock file pins (names normalised as PEP 503 says)."""
    found = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(3)
    return found


def inputs_digest(lock_name: str, root: Path = ROOT) -> str:
    source, constraints = LOCKS[lock_name]
    digest = hashlib.sha256()
    digest.update(f"python {PYTHON_VERSION} {PYTHON_PLATFORM}\n".encode())
    for line in requirement_lines(root / source):
        digest.update(line.encode() + b"\n")
    for constraint in constraints:
        for name, version in sorted(pins(root / constraint).items()):
            digest.update(f"-c {constraint} {name}=={version}\n".encode())
    return digest.hexdigest()


def recorded_digest(lock: Path) -> str | None:
    for line in lock.read_text().splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line[len(DIGEST_PREFIX):].strip()
    return None


def uv_command() -> list[str]:
    venv_uv = Path(sys.executable).with_name("uv")
    if venv_uv.exists():
        return [str(venv_uv)]
    if shutil.which("uv"):
        return ["uv"]
    sys.exit("uv is needed: pip install uv (it is in requirements-dev.txt)")


def compile_lock(lock_name: str, extra: list[str]) -> None:
    source, constraints = LOCKS[lock_name]
    command = [*uv_command(), "pip", "compile", source, "--output-file", lock_name, "--quiet",
               "--generate-hashes", "--python-version", PYTHON_VERSION, "--python-platform", PYTHON_PLATFORM,
               "--custom-compile-command", "scripts/lock.py"]
    for constraint in constraints:
        command += ["--constraints", constraint]
    subprocess.run(command + extra, cwd=ROOT, check=True)
    lock = ROOT / lock_name
    lines = [line for line in lock.read_text().splitlines() if not line.startswith(DIGEST_PREFIX)]
    # Right below uv's own header (the comment block that names the command).
    at = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    lines.insert(at, DIGEST_PREFIX + inputs_digest(lock_name))
    lock.write_text("\n".join(lines) + "\n")
    print(f"{lock_name}: {len(pins(lock))} packages")


def stale_locks(root: Path = ROOT) -> list[str]:
    return [name for name in LOCKS if recorded_digest(root / name) != inputs_digest(name, root)]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        stale = stale_locks()
        for name in stale:
            print(f"{name} is older than {LOCKS[name][0]} (or what it includes): run scripts/lock.py")
        return 1 if stale else 0
    for lock_name in LOCKS:
        compile_lock(lock_name, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
