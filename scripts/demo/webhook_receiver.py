"""A merchant's webhook endpoint for the local demo: verifies every delivery with the `standardwebhooks` package (as
a merchant would), logs one JSON line per delivery, answers 204 when the signature is valid and 400 otherwise.

    python scripts/demo/webhook_receiver.py --port 8099 --secret whsec_... --log data/logs/webhooks.log

GET /healthz answers 200; GET /events lists what was received (newest last), for the walkthrough to follow.
"""
import argparse
import http.server
import json
import threading
import time

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    verifier, received, lock = Webhook(args.secret), [], threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self, status, body=b""):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/healthz":
                return self._answer(200, b'{"status":"ok"}')
            if self.path == "/events":
                with lock:
                    return self._answer(200, json.dumps(received).encode())
            self._answer(404)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = verifier.verify(body, headers)
                verified = True
            except WebhookVerificationError:
                payload, verified = {}, False
            entry = {"received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "path": self.path,
                     "webhook_id": headers.get("webhook-id"), "verified": verified,
                     "type": payload.get("type"), "object": (payload.get("data") or {}).get("id")}
            with lock:
                received.append(entry)
                with open(args.log, "a") as log:
                    log.write(json.dumps(entry) + "\n")
            self._answer(204 if verified else 400)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
