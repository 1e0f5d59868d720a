"""Prometheus telemetry for /metrics: request counts, a latency histogram, answers and refusals."""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import defaultdict

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """In-process counters of one app; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = {}
        self._sum: dict[str, float] = defaultdict(float)
        self._answers: dict[tuple[str, bool], int] = defaultdict(int)
        self._feedback: dict[str, int] = defaultdict(int)

    def observe_request(self, method: str, path: str, status: int, seconds: float) -> None:
        """Count one request under its route template (never the raw path: ids are unbounded)."""
        with self._lock:
            self._requests[(method, path, status)] += 1
            counts = self._buckets.setdefault(path, [0] * (len(BUCKETS) + 1))
            counts[bisect_left(BUCKETS, seconds)] += 1
            self._sum[path] += seconds

    def observe_answer(self, qtype: str, refused: bool) -> None:
        """Count one answered (or refused) question."""
        with self._lock:
            self._answers[(qtype, refused)] += 1

    def observe_feedback(self, rating: str) -> None:
        """Count one rating."""
        with self._lock:
            self._feedback[rating] += 1

    def render(self) -> str:
        """The exposition text served at /metrics."""
        out: list[str] = []
        with self._lock:
            out += [
                "# HELP rag_http_requests_total HTTP requests by method, route and status.",
                "# TYPE rag_http_requests_total counter",
            ]
            for (method, path, status), n in sorted(self._requests.items()):
                out.append(
                    f'rag_http_requests_total{{method="{_label(method)}",path="{_label(path)}",'
                    f'status="{status}"}} {n}'
                )
            out += [
                "# HELP rag_http_request_duration_seconds Time to the response headers.",
                "# TYPE rag_http_request_duration_seconds histogram",
            ]
            for path, counts in sorted(self._buckets.items()):
                name = f'path="{_label(path)}"'
                running = 0
                for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                    running += n
                    le = "+Inf" if bound == float("inf") else repr(bound)
                    out.append(
                        f'rag_http_request_duration_seconds_bucket{{{name},le="{le}"}} {running}'
                    )
                out.append(f"rag_http_request_duration_seconds_sum{{{name}}} {self._sum[path]}")
                out.append(f"rag_http_request_duration_seconds_count{{{name}}} {running}")
            refusals = sum(n for (_, refused), n in self._answers.items() if refused)
            out += [
                "# HELP rag_answers_total Questions answered, by question type and outcome.",
                "# TYPE rag_answers_total counter",
            ]
            for (qtype, refused), n in sorted(self._answers.items()):
                outcome = "refused" if refused else "answered"
                out.append(f'rag_answers_total{{type="{_label(qtype)}",outcome="{outcome}"}} {n}')
            out += [
                "# HELP rag_refusals_total Questions the documents could not answer.",
                "# TYPE rag_refusals_total counter",
                f"rag_refusals_total {refusals}",
                "# HELP rag_feedback_total Ratings received, by rating.",
                "# TYPE rag_feedback_total counter",
            ]
            for rating, n in sorted(self._feedback.items()):
                out.append(f'rag_feedback_total{{rating="{_label(rating)}"}} {n}')
        return "\n".join(out) + "\n"
