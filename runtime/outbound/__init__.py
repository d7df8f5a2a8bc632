"""Outbound side effects run by jobs: webhooks and HTTP lookups (``webhooks``), email
(``mail``), all HTTP through the SSRF guard (``ssrf``). No Flask; settings are arguments."""
