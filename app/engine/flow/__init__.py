"""Flow control in Redis: concurrency slots, limiters, send windows, tenants' limits, leases
and the job queue."""
