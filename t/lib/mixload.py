#!/usr/bin/python3
"""mixload.py: a mixed load on a jwtauth stack, for t/crash-under-load.t.

    mixload.py load DIR URL CACERT USERS...   run until DIR/stop exists
    mixload.py check DIR URL CACERT           after the load: what survived
                                              (MIXLOAD_LOGIN=EMAIL:PASSWORD)

load: one thread per user (EMAIL:PASSWORD), each looping over login,
RefreshToken, GetById and Add, and logging in anew now and then (the old
family's token is then left alone, to be checked at the end). Every HTTP answer must be 200/201, or 503
with SPEC's JSON body; anything else (another status, a 503 without that
body, no answer within the client timeout) is written to DIR/bad. A
connection refused (nginx down) is no answer and is only counted. The
counts are in DIR/progress (JSON, rewritten as they change) so that the
test can wait for observable states instead of sleeping.

After a refresh that answered 200 the new token is the one its family
must still honour; a refresh that got no 200 leaves its token "presented"
(the rotation may or may not have committed) and the thread logs in again.
At the end DIR/state.json lists, per family, the newest token and whether
it was presented, and every product whose Add answered 201.

check: every family's newest token that was never presented refreshes
(200); every product added is there (GetById 200, same name). It prints
"families N", "refresh_failed ...", "products N", "products_missing ...".
"""
import http.client
import json
import os
import random
import ssl
import sys
import threading
import time

TIMEOUT = 20            # seconds: the programs' own db timeouts are far below
UNAVAILABLE = {"message": "Service temporarily unavailable."}


class Client:
    def __init__(self, url, cacert):
        assert url.startswith("https://")
        host, _, port = url[len("https://"):].partition(":")
        self.host, self.port = host, int(port or 443)
        self.ctx = ssl.create_default_context(cafile=cacert)

    def call(self, method, path, body=None, token=None):
        """(status, parsed JSON or text, elapsed), or (None, error, elapsed)."""
        headers = {}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body)
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        t0 = time.monotonic()
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=TIMEOUT,
                                           context=self.ctx)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            raw = r.read().decode("utf-8", "replace")
            ctype = r.getheader("Content-Type", "")
        except (ConnectionRefusedError, ConnectionResetError, ssl.SSLError,
                http.client.RemoteDisconnected, BrokenPipeError) as e:
            return None, "connection: %s" % e.__class__.__name__, time.monotonic() - t0
        except (TimeoutError, OSError) as e:
            return -1, "no answer: %s" % e, time.monotonic() - t0
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if ctype.startswith("application/json") else raw
        except ValueError:
            parsed = raw
        return r.status, parsed, time.monotonic() - t0


class Load:
    def __init__(self, d, client):
        self.d, self.c = d, client
        self.lock = threading.Lock()
        self.counts = {"answers": 0, "ok": 0, "unavailable": 0, "no_connection": 0,
                       "bad": 0, "max_seconds": 0.0}
        self.families = []      # {"user", "refresh", "presented"}
        self.products = []      # [id, name]
        self.bad = open(os.path.join(d, "bad"), "a")

    def stopped(self):
        return os.path.exists(os.path.join(self.d, "stop"))

    def progress(self):
        tmp = os.path.join(self.d, "progress.tmp")
        with open(tmp, "w") as f:
            json.dump(self.counts, f)
        os.replace(tmp, os.path.join(self.d, "progress"))

    def answer(self, what, status, body, secs, want):
        """Count one answer; True if it is the success wanted."""
        with self.lock:
            if status is None:
                self.counts["no_connection"] += 1
                self.progress()
                return False
            self.counts["answers"] += 1
            self.counts["max_seconds"] = max(self.counts["max_seconds"], round(secs, 3))
            good = False
            if status == want:
                self.counts["ok"] += 1
                good = True
            elif status == 503 and body == UNAVAILABLE:
                self.counts["unavailable"] += 1
            else:
                self.counts["bad"] += 1
                self.bad.write("%s: %s %r\n" % (what, status, body))
                self.bad.flush()
            self.progress()
            return good

    def worker(self, n, email, password):
        session = None          # [access, family]
        k = 0
        while not self.stopped():
            if session is None:
                st, b, s = self.c.call("POST", "/api/Auth/Login",
                                       {"Email": email, "Password": password,
                                        "ClientId": "Client1"})
                if self.answer("login", st, b, s, 200):
                    fam = {"user": email, "refresh": b["RefreshToken"], "presented": False}
                    with self.lock:
                        self.families.append(fam)
                    session = [b["Token"], fam]
                continue
            k += 1
            access, fam = session
            if k % 31 == 0:
                session = None          # a new login; this family's token stays unpresented
                continue
            if k % 3 == 0:
                fam["presented"] = True
                st, b, s = self.c.call("POST", "/api/Auth/RefreshToken",
                                       {"RefreshToken": fam["refresh"], "ClientId": "Client1"})
                if self.answer("refresh", st, b, s, 200):
                    fam["refresh"], fam["presented"] = b["RefreshToken"], False
                    session[0] = b["Token"]
                else:
                    session = None      # outcome unknown: a new login, a new family
            elif k % 3 == 1:
                st, b, s = self.c.call("GET", "/api/Products/GetById/%d" % random.randint(1, 3),
                                       token=access)
                self.answer("getbyid", st, b, s, 200)
            else:
                name = "crash-%d-%d" % (n, k)
                st, b, s = self.c.call("POST", "/api/Products/Add",
                                       {"Name": name, "Price": 1.5}, token=access)
                if self.answer("add", st, b, s, 201):
                    with self.lock:
                        self.products.append([b["Id"], name])

    def run(self, users):
        threads = []
        for n, u in enumerate(users):
            email, _, password = u.partition(":")
            t = threading.Thread(target=self.worker, args=(n, email, password))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        with open(os.path.join(self.d, "state.json"), "w") as f:
            json.dump({"families": self.families, "products": self.products,
                       "counts": self.counts}, f)


def check(d, client):
    with open(os.path.join(d, "state.json")) as f:
        state = json.load(f)
    fams = [f for f in state["families"] if not f["presented"]]
    failed = []
    for f in fams:
        st, b, _ = client.call("POST", "/api/Auth/RefreshToken",
                               {"RefreshToken": f["refresh"], "ClientId": "Client1"})
        if st != 200:
            failed.append("%s:%s" % (st, b.get("message") if isinstance(b, dict) else b))
    missing = []
    # GetById wants a token: one login (MIXLOAD_LOGIN=EMAIL:PASSWORD).
    token = None
    if state["products"]:
        email, _, password = os.environ.get("MIXLOAD_LOGIN", "").partition(":")
        st, b, _ = client.call("POST", "/api/Auth/Login",
                               {"Email": email, "Password": password, "ClientId": "Client1"})
        token = b["Token"] if st == 200 else None
    for pid, name in state["products"]:
        st, b, _ = client.call("GET", "/api/Products/GetById/%d" % pid, token=token)
        if st != 200 or not isinstance(b, dict) or b.get("Name") != name:
            missing.append("%d:%s" % (pid, st))
    print("families %d" % len(fams))
    print("refresh_failed %s" % " ".join(failed))
    print("products %d" % len(state["products"]))
    print("products_missing %s" % " ".join(missing))


def main(argv):
    cmd, d, url, cacert = argv[1:5]
    client = Client(url, cacert)
    if cmd == "load":
        Load(d, client).run(argv[5:])
    elif cmd == "check":
        check(d, client)
    else:
        sys.exit("usage: mixload.py load|check DIR URL CACERT [EMAIL:PASSWORD...]")


if __name__ == "__main__":
    main(sys.argv)
