"""bench/vault_package.py --quick runs end to end: the package it times still passes its checks
through the use case as it now is, and the run reports the comparison with bagit."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "vault_package.py"


def test_the_quick_run_reports_the_ratio_to_bagit():
    run = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    for metric in ("package (30 entries, 3 documents)", "bagit make_bag, same payload",
                   "package vs bagit directly"):
        assert metric in run.stdout
