"""The pinned, hashed lock files must be compiled from today's requirement inputs (*.in).

No network: each lock's header records a digest of its inputs (scripts/lock.py), recomputed here.
"""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("lock_script", ROOT / "scripts" / "lock.py")
lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lock)


@pytest.mark.parametrize("lock_name", list(lock.LOCKS))
def test_lock_matches_its_inputs(lock_name):
    recorded = lock.recorded_digest(ROOT / lock_name)
    assert recorded is not None, f"{lock_name} has no inputs digest: run scripts/lock.py"
    assert recorded == lock.inputs_digest(lock_name), (
        f"{lock.LOCKS[lock_name][0]} (or a file or lock it depends on) changed since {lock_name} "
        "was compiled: run scripts/lock.py and commit both")


@pytest.mark.parametrize("lock_name", list(lock.LOCKS))
def test_every_pin_has_hashes(lock_name):
    text = (ROOT / lock_name).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 1)[1])
    pinned = [entry for entry in entries if lock.PIN.match(entry)]
    assert pinned
    assert all("--hash=sha256:" in entry for entry in pinned), lock_name
    # Nothing unpinned slipped in (an editable, a URL, a bare name).
    assert all(lock.PIN.match(entry) or entry.startswith("#") or not entry.strip() for entry in entries)


def test_locks_installed_together_agree():
    """The test script installs the runtime, training and test locks into one environment."""
    runtime, train, dev = (lock.pins(ROOT / name) for name in
                           ("requirements.txt", "requirements-train.txt", "requirements-dev.txt"))
    for name, version in runtime.items():
        assert train.get(name) == version and dev.get(name) == version, name
    for name in set(train) & set(dev):
        assert train[name] == dev[name], name


def test_digest_follows_requirement_lines_not_comments(tmp_path):
    (tmp_path / "requirements.in").write_text("# the web\nflask>=3  # framework\n")
    before = lock.inputs_digest("requirements.txt", root=tmp_path)
    (tmp_path / "requirements.in").write_text("# the web app, reworded\n\nflask>=3\n")
    assert lock.inputs_digest("requirements.txt", root=tmp_path) == before
    (tmp_path / "requirements.in").write_text("flask>=3\nhuey>=2.5\n")
    assert lock.inputs_digest("requirements.txt", root=tmp_path) != before


def test_check_mode_names_no_stale_lock():
    assert lock.stale_locks() == []


def test_included_input_and_constraint_lock_count(tmp_path):
    (tmp_path / "requirements.in").write_text("flask>=3\n")
    (tmp_path / "requirements.txt").write_text("flask==3.1.3 \\\n    --hash=sha256:00\n")
    (tmp_path / "requirements-train.in").write_text("-r requirements.in\nonnx\n")
    before = lock.inputs_digest("requirements-train.txt", root=tmp_path)
    (tmp_path / "requirements.in").write_text("flask>=3\nredis\n")
    changed_include = lock.inputs_digest("requirements-train.txt", root=tmp_path)
    assert changed_include != before
    (tmp_path / "requirements.txt").write_text("flask==3.1.4 \\\n    --hash=sha256:00\n")
    assert lock.inputs_digest("requirements-train.txt", root=tmp_path) != changed_include
