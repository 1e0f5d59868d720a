"""Evaluation metrics for rag/evaluate.py (hit@k, MRR, answer correctness, percentiles).

NOTE (from the lead, for the two people working in parallel): this file belongs to the
evaluation work (issue 3). The Prometheus counters for /metrics (issue 4) now live in
rag/telemetry.py — import `Metrics` and `CONTENT_TYPE` from there, not from here.
The evaluation helper should restore its functions in this file.
"""
