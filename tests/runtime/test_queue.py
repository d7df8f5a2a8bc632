"""The embedded queue: a worker thread on the in-process Redis stand-in runs jobs."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from rq import Worker
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from runtime.queue import ThreadWorker, job_queue, redis_connection, start_embedded_worker


@pytest.fixture
def embedded_worker() -> Iterator[ThreadWorker]:
    """An embedded worker on an emptied stand-in queue, stopped (thread joined) after the test.

    The stand-in is one per process and other tests' requests hand jobs to it; a worker that
    outlived its test would run them on a later test's database connection.
    """
    connection = redis_connection(None)
    job_queue(connection).empty()
    worker = start_embedded_worker(connection)
    yield worker
    worker.stop()


def wait_for(job, seconds: float = 15) -> JobStatus:
    """The job's status once it finished or failed."""
    deadline = time.monotonic() + seconds
    while job.get_status(refresh=True) not in (JobStatus.FINISHED, JobStatus.FAILED):
        assert time.monotonic() < deadline, "the embedded worker never ran the job"
        time.sleep(0.05)
    return job.get_status()


def test_embedded_worker_thread_runs_jobs_with_timeouts(embedded_worker):
    """Jobs enqueued on the stand-in run on the worker thread (job timeouts need no signal)."""
    job = job_queue(embedded_worker.connection).enqueue("os.getpid", job_timeout=30)
    assert wait_for(job) == JobStatus.FINISHED


def test_embedded_worker_stop_ends_its_thread(embedded_worker):
    """stop() ends an idle worker within seconds: the thread is gone, the worker deregistered,
    and a job enqueued afterwards is left for the next worker."""
    connection = embedded_worker.connection
    assert wait_for(job_queue(connection).enqueue("os.getpid")) == JobStatus.FINISHED
    time.sleep(ThreadWorker.STOP_POLL * 1.5)  # idle, blocked waiting for work
    started = time.monotonic()
    embedded_worker.stop()
    assert time.monotonic() - started < ThreadWorker.STOP_POLL + 5
    assert embedded_worker.thread is not None and not embedded_worker.thread.is_alive()
    names = {w.name for w in Worker.all(connection=connection, serializer=JSONSerializer)}
    assert embedded_worker.name not in names
    later = job_queue(connection).enqueue("os.getpid")
    time.sleep(ThreadWorker.STOP_POLL * 2)
    assert later.get_status(refresh=True) == JobStatus.QUEUED
    job_queue(connection).empty()
