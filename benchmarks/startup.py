"""Time to first frame: a bare Textual app vs ``billing-tui`` live and ``--demo`` (issue 10).

Each start runs in a fresh subprocess on its own pseudo-terminal (the real Textual driver, not
headless). A tiny harness wraps ``App._ready`` (called once the default screen is composed and
mounted) and, after the next refresh, writes the wall-clock time to a file and leaves with
``os._exit`` (so a worker still connecting in a thread does not hold the process). The figure
is that time minus the moment the parent spawned the process: interpreter start, imports,
argument parsing and the first frame. Several repetitions, medians printed.

    .venv/bin/python benchmarks/startup.py [--repeat 7]

(a) a bare Textual app with one ``Static``;
(b) ``billing-tui --api-base http://127.0.0.1:<port>`` with ``STRIPE_API_KEY=sk_test_…``
    against the sandbox's loopback server (started here);
(c) ``billing-tui --demo``.

Targets (issue 10): b/a ≤ 1.5 and c/a ≤ 2. Measured on the 2-core dev machine, median of 9:
before the start-up work b/a 3.0–3.1, c/a 3.5–3.6 (a ≈ 0.20 s, b ≈ 0.61 s, c ≈ 0.71 s); after
b/a 1.31–1.37, c/a 1.32–1.34 (b ≈ 0.26 s, c ≈ 0.26 s).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

HARNESS = r"""
import os, sys, time
import textual.app

_MARK = os.environ["STARTUP_MARK"]
_original_ready = textual.app.App._ready


async def _ready(self):
    await _original_ready(self)

    def mark():
        with open(_MARK, "w") as f:
            f.write(repr(time.time()))
        os._exit(0)

    self.call_after_refresh(mark)


textual.app.App._ready = _ready
target = sys.argv[1]
if target == "bare":
    from textual.app import App
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self):
            yield Static("hello")

    Bare().run()
else:
    from billing_tui.cli.main import main

    sys.exit(main(sys.argv[2:]))
"""

CASES = ("bare", "live", "demo")


def _drain(fd: int, stop: threading.Event) -> None:
    """Read the child's terminal output (so it never blocks on a full pty)."""
    while not stop.is_set():
        try:
            if not os.read(fd, 65536):
                return
        except OSError:
            return


def first_frame(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``argv`` (run through the harness) to its first frame."""
    with tempfile.TemporaryDirectory() as tmp:
        mark = Path(tmp) / "mark"
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        stop = threading.Event()
        reader = threading.Thread(target=_drain, args=(master, stop), daemon=True)
        reader.start()
        child_env = {**env, "STARTUP_MARK": str(mark), "TERM": "xterm-256color"}
        started = time.time()
        process = subprocess.Popen(
            [sys.executable, "-c", HARNESS, *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=child_env,
            close_fds=True,
        )
        os.close(slave)
        try:
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            stop.set()
            os.close(master)
        if not mark.exists():
            raise RuntimeError(f"{' '.join(argv)}: no first frame (exit {process.returncode})")
        return float(mark.read_text()) - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="starts per case (default 7)")
    args = parser.parse_args()

    from billing_tui.sandbox import Sandbox
    from billing_tui.sandbox.server import SandboxServer

    with tempfile.TemporaryDirectory() as home, SandboxServer(Sandbox.demo()) as server:
        base = {k: v for k, v in os.environ.items() if k != "STRIPE_API_KEY"}
        base["BILLING_TUI_HOME"] = home
        argvs = {
            "bare": (["bare"], base),
            "live": (
                ["tui", "--api-base", f"http://127.0.0.1:{server.port}"],
                {**base, "STRIPE_API_KEY": "sk_test_startupbenchmark0000"},
            ),
            "demo": (["tui", "--demo"], base),
        }
        first_frame(*argvs["bare"])  # warm the file cache once
        times: dict[str, list[float]] = {case: [] for case in CASES}
        for _ in range(args.repeat):
            for case in CASES:  # interleaved, so drift on a shared machine hits all alike
                times[case].append(first_frame(*argvs[case]))
    medians = {case: statistics.median(values) for case, values in times.items()}
    labels = {
        "bare": "(a) bare Textual app",
        "live": "(b) billing-tui --api-base (live start)",
        "demo": "(c) billing-tui --demo",
    }
    print(f"time to first frame, median of {args.repeat} fresh processes:")
    for case in CASES:
        spread = f"{min(times[case]):.3f}–{max(times[case]):.3f}"
        print(f"  {labels[case]:<42} {medians[case]:.3f} s  (range {spread})")
    live_ratio = medians["live"] / medians["bare"]
    demo_ratio = medians["demo"] / medians["bare"]
    print(f"  b/a = {live_ratio:.2f}  (target ≤ 1.5)")
    print(f"  c/a = {demo_ratio:.2f}  (target ≤ 2.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
