#!/usr/bin/env python3
"""A stand-in for a cluster provisioning API, for the homework pair (`mall_pipeline`).

    POST   /clusters        {"name": ...}  -> 201 {"cluster_id": "c-N", "name": ...}
    DELETE /clusters/<id>                  -> 204, or 404 for a cluster it does not hold
    GET    /clusters                       -> 200 {"clusters": [the live ones]}

Every request is appended to LOG as one JSON line ({"method", "path", "status"}). Prints
"listening on HOST:PORT" once it accepts connections (PORT 0 picks a free one), then runs
until killed. Python's standard library only.

Usage: cluster_api.py HOST PORT LOG
"""

import http.server
import json
import sys
import threading


class Clusters:
    def __init__(self, log_path):
        self.lock = threading.Lock()
        self.live = {}
        self.made = 0
        self.log_path = log_path

    def log(self, method, path, status):
        with self.lock, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"method": method, "path": path, "status": status}) + "\n")


def handler(clusters):
    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, status, body=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            clusters.log(self.command, self.path, status)

        def do_GET(self):
            if self.path != "/clusters":
                return self.answer(404, {"error": f"no route {self.path}"})
            with clusters.lock:
                live = list(clusters.live.values())
            self.answer(200, {"clusters": live})

        def do_POST(self):
            if self.path != "/clusters":
                return self.answer(404, {"error": f"no route {self.path}"})
            length = int(self.headers.get("content-length") or 0)
            try:
                name = json.loads(self.rfile.read(length) or b"{}").get("name", "")
            except (ValueError, AttributeError):
                return self.answer(400, {"error": "the body is not a JSON object"})
            with clusters.lock:
                clusters.made += 1
                cluster = {"cluster_id": f"c-{clusters.made}", "name": name}
                clusters.live[cluster["cluster_id"]] = cluster
            self.answer(201, cluster)

        def do_DELETE(self):
            prefix = "/clusters/"
            if not self.path.startswith(prefix):
                return self.answer(404, {"error": f"no route {self.path}"})
            with clusters.lock:
                gone = clusters.live.pop(self.path[len(prefix):], None)
            if gone is None:
                return self.answer(404, {"error": "no such cluster"})
            self.answer(204)

        def log_message(self, format, *args):
            pass

    return Handler


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    host, port, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    server = http.server.ThreadingHTTPServer((host, port), handler(Clusters(log_path)))
    print(f"listening on {host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
