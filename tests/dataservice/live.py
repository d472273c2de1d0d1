"""A real uvicorn server on a free loopback port, and a burst of truly simultaneous requests.

TestClient's sequential calls cannot show what happens when requests race; these helpers use
threads, real sockets and a real connection pool.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Iterator

import httpx
import uvicorn

from bench.processes import free_port

from .conftest import API_KEY


@contextmanager
def running_server(app) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 in a thread; yields its base URL and stops it afterwards."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def fire(base_url: str, path: str, requests: list[tuple[dict, dict]]) -> list[httpx.Response]:
    """POST every (body, headers) at once: each thread waits at a barrier, then posts on its own
    client."""
    barrier = threading.Barrier(len(requests))

    def post(item: tuple[dict, dict]) -> httpx.Response:
        body, headers = item
        with httpx.Client(base_url=base_url, timeout=60,
                          headers={"X-API-Key": API_KEY} | headers) as c:
            barrier.wait()
            return c.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(post, requests))
