"""During the cycle: check-ins, obstacles, resource requests, coaching,
to-dos, notifications and e-mailed reminders."""
