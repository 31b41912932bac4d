"""During the cycle (issue 4): check-ins, obstacles, resource requests, coaching,
to-dos, notifications and e-mailed reminders."""
