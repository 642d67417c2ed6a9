#!/usr/bin/env python3
"""webhook_recorder.py PORT FILE: an Alertmanager webhook receiver on 127.0.0.1:PORT that appends
each notification it is sent (the JSON body, on one line) to FILE, and answers 200."""
import http.server
import json
import sys

PORT, FILE = int(sys.argv[1]), sys.argv[2]


class Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            line = json.dumps(json.loads(body))
        except ValueError:
            line = json.dumps({"unparsable": body.decode("utf-8", "replace")})
        with open(FILE, "a") as f:
            f.write(line + "\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", PORT), Recorder).serve_forever()
