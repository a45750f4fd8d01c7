"""`ketacare serve` is gunicorn itself: stopping it (a supervisor's SIGTERM) stops its workers,
the audit log's sequencer and the Bulk Data export worker too, instead of leaving them behind
a wrapper that died."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except FileNotFoundError:
        return b""


def _is_sequencer(pid: int) -> bool:
    return b"audit\x00seal" in _cmdline(pid)


def _is_bulk_worker(pid: int) -> bool:
    return b"manage\x00bulk_export_run" in _cmdline(pid)


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
def test_stopping_the_server_stops_its_workers_its_sequencer_and_its_export_worker(tmp_path):
    port = _free_port()
    env = {**os.environ, "KETACARE_DATA_DIR": str(tmp_path)}
    env.pop("KETACARE_DATABASE_URL", None)  # a throwaway SQLite registry
    server = subprocess.Popen(
        [sys.executable, "-m", "ketacare.cli", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        children = _children_of(server.pid)
        sequencers = [c for c in children if _is_sequencer(c)]
        bulk_workers = [c for c in children if _is_bulk_worker(c)]
        assert len(sequencers) == 1  # the audit log's sequencer, sealing every few seconds
        assert len(bulk_workers) == 1  # the Bulk Data export worker
        # The process we started is the master; besides those two it has its 2 workers.
        assert len(children) - len(sequencers) - len(bulk_workers) == 2
        workers = children
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while any(os.path.exists(f"/proc/{w}") for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if os.path.exists(f"/proc/{w}")]
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
    finally:
        if server.poll() is None:
            server.kill()
