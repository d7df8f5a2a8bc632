"""Run time: submissions, tickets, attachments (and later flows, SLAs, jobs)."""
