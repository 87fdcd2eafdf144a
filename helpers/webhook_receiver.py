"""A tiny webhook receiver for the lessons: an HTTP server on this machine's loopback that keeps every payload the
hub POSTs to it (what a Space or a script reacting to a push would get).

    with WebhookReceiver() as receiver:           # listening on http://127.0.0.1:<free port>/webhook
        api.create_webhook(url=receiver.url, watched=[...], secret="course")
        api.upload_file(...)
        event = receiver.wait()                   # {"headers": {...}, "payload": {...}}

It answers 200 to a request with the expected secret (`X-Webhook-Secret`) and 401 to any other, as a real receiver
should check it."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WebhookReceiver:
    def __init__(self, secret: str | None = None, host: str = "127.0.0.1", fail_first: int = 0):
        """`secret`: the one to expect (None: any); `fail_first`: answer 500 to that many requests first (to see
        the hub retry)."""
        self.secret = secret
        self.events: list[dict] = []  # each {"headers", "payload"}, accepted or not ("accepted")
        self._fail = fail_first
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                ok = receiver.secret is None or headers.get("x-webhook-secret") == receiver.secret
                with receiver._cond:
                    failing = ok and receiver._fail > 0
                    receiver._fail -= failing
                    try:
                        payload = json.loads(body)
                    except ValueError:
                        payload = None
                    receiver.events.append({"headers": headers, "payload": payload, "accepted": ok and not failing})
                    receiver._cond.notify_all()
                self.send_response(500 if failing else 200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="webhook-receiver")
        self.thread.start()

    def wait(self, count: int = 1, timeout: float = 20) -> dict:
        """The `count`-th accepted event (waiting up to `timeout` seconds for it)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                accepted = [e for e in self.events if e["accepted"]]
                if len(accepted) >= count:
                    return accepted[count - 1]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no webhook delivery after {timeout:.0f} s ({len(self.events)} requests)")
                self._cond.wait(left)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
