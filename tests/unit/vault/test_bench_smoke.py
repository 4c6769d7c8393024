"""bench/vault_ingest.py --quick runs end to end (a small file, a few objects): the ingest it
measures still stores through the use cases as the contract now has them, and it reports every
row it promises."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "vault_ingest.py"


def test_the_quick_run_reports_every_row():
    text = SCRIPT.read_text()
    assert "bench/vault_ingest.py" in text and "--quick" in text
    run = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    for metric in ("complete_upload vs sha256sum (32 MiB)", "peak RSS growth during ingest",
                   "fixity audit vs bare hashlib loop"):
        assert metric in run.stdout
