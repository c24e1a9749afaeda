#!/usr/bin/env python3
"""syslog-recv.py SOCKET OUT: a stand-in for /dev/log in tests.

Binds a unix datagram socket at SOCKET (what syslog(3) writes to) and
appends every datagram it gets to OUT as one line, flushed at once, until
killed. Nothing else: the test reads OUT.
"""
import os
import socket
import sys

sock_path, out_path = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
with open(out_path, "ab", buffering=0) as out:
    while True:
        data = s.recv(65536)
        out.write(data.rstrip(b"\n").replace(b"\n", b"\\n") + b"\n")
