"""One load run: `users` concurrent clients (locust, headless, in this process) GET one
URL for `duration` seconds with the given cookie; prints one JSON line with requests/s,
p50/p95/p99 (ms), failures and the mean response size.

usage: python bench/load.py URL COOKIE USERS DURATION [htmx]
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
from locust import FastHttpUser, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

url, cookie, users, duration = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
htmx = len(sys.argv) > 5 and sys.argv[5] == "htmx"
parts = urlsplit(url)
path = parts.path + (f"?{parts.query}" if parts.query else "")
headers = {"Cookie": cookie}
if htmx:
    headers["HX-Request"] = "true"
sizes = []


class Reader(FastHttpUser):
    host = f"{parts.scheme}://{parts.netloc}"
    wait_time = constant(0)

    @task
    def read(self):
        with self.client.get(path, headers=headers, name="page", catch_response=True,
                             allow_redirects=False) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            else:
                sizes.append(len(response.content or b""))


def main():
    env = Environment(user_classes=[Reader], events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.sleep(1.0)  # warm up: everyone started, connections open
    env.stats.reset_all()
    started = time.perf_counter()
    gevent.sleep(duration)
    elapsed = time.perf_counter() - started
    stats = env.stats.get("page", "GET")
    result = {
        "requests": stats.num_requests, "failures": stats.num_failures,
        "rps": stats.num_requests / elapsed if elapsed else 0,
        "p50": stats.get_response_time_percentile(0.5),
        "p95": stats.get_response_time_percentile(0.95),
        "p99": stats.get_response_time_percentile(0.99),
        "bytes": int(sum(sizes) / len(sizes)) if sizes else 0,
    }
    runner.quit()
    print(json.dumps(result), flush=True)


main()
