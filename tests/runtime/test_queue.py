"""The embedded queue: a worker thread on the in-process Redis stand-in runs jobs."""

from __future__ import annotations

import time

from rq.job import JobStatus

from runtime.queue import job_queue, redis_connection, start_embedded_worker


def test_embedded_worker_thread_runs_jobs_with_timeouts():
    """Jobs enqueued on the stand-in run on the worker thread (job timeouts need no signal)."""
    connection = redis_connection(None)
    start_embedded_worker(connection)
    job = job_queue(connection).enqueue("os.getpid", job_timeout=30)
    deadline = time.monotonic() + 15
    while job.get_status(refresh=True) not in (JobStatus.FINISHED, JobStatus.FAILED):
        assert time.monotonic() < deadline, "the embedded worker never ran the job"
        time.sleep(0.05)
    assert job.get_status() == JobStatus.FINISHED
