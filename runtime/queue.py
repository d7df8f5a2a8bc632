"""The job queue: RQ with the JSON serializer on Redis, or on an in-process stand-in.

Production points ``REDIS_URL`` at Redis and runs ``docket worker`` processes. The embedded
mode (no ``REDIS_URL``) uses one fakeredis server per process and a worker thread, so that
``docket run`` needs nothing installed. Jobs take ids, never objects.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

import fakeredis
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.exceptions import StopRequested
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

log = logging.getLogger(__name__)

QUEUE_NAME = "docket"
_embedded_server: fakeredis.FakeServer | None = None
_clients: dict[str | None, Redis] = {}
_lock = threading.Lock()


def redis_connection(url: str | None) -> Redis:
    """A Redis client for ``url``, or for the process's embedded stand-in when None.

    One client (and so one connection pool) per URL and process: clients are thread-safe,
    and making one per request would open a connection per request.
    """
    global _embedded_server
    with _lock:
        if url not in _clients:
            if url:
                _clients[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
            else:
                _embedded_server = _embedded_server or fakeredis.FakeServer()
                _clients[url] = fakeredis.FakeRedis(server=_embedded_server)
        return _clients[url]


def job_queue(connection: Redis) -> Queue:
    """The queue every Docket job goes to."""
    return Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)


def worker_heartbeats(connection: Redis) -> list[dict[str, Any]]:
    """Workers that reported in recently, with their last heartbeat."""
    now = datetime.now(UTC)
    alive = []
    for worker in Worker.all(connection=connection, serializer=JSONSerializer):
        beat = worker.last_heartbeat
        if beat is not None and beat.tzinfo is None:
            beat = beat.replace(tzinfo=UTC)
        if beat is not None and (now - beat).total_seconds() < 120:
            alive.append({"name": worker.name, "last_heartbeat": beat.isoformat()})
    return alive


class ThreadWorker(SimpleWorker):
    """A worker that runs in a thread of the web process (signals belong to the main thread,
    so job timeouts use a timer thread instead of SIGALRM, and ``stop`` replaces SIGTERM)."""

    death_penalty_class = TimerDeathPenalty
    #: Seconds an idle worker blocks on Redis before it looks at a stop request again.
    STOP_POLL = 1

    thread: threading.Thread | None = None

    def _install_signal_handlers(self) -> None:
        pass

    def dequeue_job_and_maintain_ttl(self, timeout: int | None,
                                     max_idle_time: int | None = None) -> Any:
        """Wait for a job in short slices so that an idle worker sees ``stop`` within
        ``STOP_POLL`` seconds (RQ's own wait blocks for minutes and only a signal ends it);
        a job still starts the moment it is enqueued."""
        if timeout is None:  # burst: never blocks
            return super().dequeue_job_and_maintain_ttl(timeout, max_idle_time)
        while not self._stop_requested:
            result = super().dequeue_job_and_maintain_ttl(self.STOP_POLL, self.STOP_POLL)
            if result is not None:
                return result
        raise StopRequested

    def stop(self, timeout: float = 30) -> None:
        """Finish the job in hand, leave the loop and wait for the thread to end."""
        self._stop_requested = True
        if self.thread is not None:
            self.thread.join(timeout)
            if self.thread.is_alive():
                raise RuntimeError(f"embedded worker {self.name} did not stop in {timeout} s")


def start_embedded_worker(connection: Redis) -> ThreadWorker:
    """Run a worker on a daemon thread; it stops with the process or on ``stop()``."""
    worker = ThreadWorker([job_queue(connection)], connection=connection,
                          serializer=JSONSerializer)
    worker.thread = threading.Thread(target=worker.work, kwargs={"logging_level": "WARNING"},
                                     name="docket-worker", daemon=True)
    worker.thread.start()
    log.info("embedded worker %s started", worker.name)
    return worker


def run_worker(connection: Redis, *, burst: bool = False) -> None:
    """Run a production worker in this process (``docket worker``).

    Jobs run in the worker process itself (no fork per job: forking costs ~0.3 s of cold
    start per job, measured in bench/outbox_latency.py). Our jobs are short I/O calls with
    their own timeouts, and a worker that dies mid-job is covered by the outbox: its rows
    are handed out again.
    """
    worker = SimpleWorker([job_queue(connection)], connection=connection,
                          serializer=JSONSerializer)
    worker.work(burst=burst, with_scheduler=True)
