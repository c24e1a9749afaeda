#!/usr/bin/python3
"""gateway-echo.py PORT LOG: the app behind the nginx gateway in the tests.

An HTTP server on 127.0.0.1:PORT that answers every GET with JSON naming
what it received: the identity headers (Sub, Email, Roles, Client, each
null when absent), every header whose name mentions jwtauth (all values,
to show that no client-sent copy slipped through) and Authorization. It
appends one line per request to LOG, "<path> <Authorization>", so that a
test can tell which requests reached it at all.
"""
import http.server
import json
import sys


class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        auth = self.headers.get("Authorization", "-")
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write("%s %s\n" % (self.path, auth))
        seen = {}
        for name, value in self.headers.items():
            if "jwtauth" in name.lower():
                seen.setdefault(name.lower(), []).append(value)
        body = json.dumps({
            "Path": self.path,
            "Sub": self.headers.get("X-Jwtauth-Sub"),
            "Email": self.headers.get("X-Jwtauth-Email"),
            "Roles": self.headers.get("X-Jwtauth-Roles"),
            "Client": self.headers.get("X-Jwtauth-Client"),
            "Jwtauth": seen,
            "Authorization": auth,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
