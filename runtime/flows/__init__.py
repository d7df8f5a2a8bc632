"""The durable flow runner: instances, tasks, timers, the outbox and its jobs."""
