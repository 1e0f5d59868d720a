"""Keep the Hugging Face libraries off the network: every model here is a local directory."""

from __future__ import annotations

import os


def force_offline() -> None:
    """Set the offline switches; call before the first import of transformers or huggingface_hub.

    The hub client reads these once at import time, so setting them later has no effect.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    # A weight-loading progress bar on every start is noise in server logs; users may opt back in.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # OpenMP threads that spin while waiting turn a busy second core into 30x slower queries
    # (measured: query embedding p50 806 ms spinning vs 26 ms passive on a shared 2-core box)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
