"""A small client of cellad's API for tests: requests on the unix socket and stream attaches (the HTTP
upgrade to `cella-stream`, which curl cannot do)."""
import json
import socket
import time


class Client:
    def __init__(self, path):
        self.path = path
        self.pending = {}

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(self.path)
        return s

    @staticmethod
    def read_head(s):
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            c = s.recv(1)
            if not c:
                raise SystemExit("connection closed inside the reply's header: %r" % head)
            head += c
        lines = head.decode().split("\r\n")
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        return int(lines[0].split()[1]), headers

    @staticmethod
    def read_body(s, headers):
        n = int(headers.get("content-length", "0"))
        body = b""
        while len(body) < n:
            c = s.recv(n - len(body))
            if not c:
                break
            body += c
        return json.loads(body) if body else None

    def req(self, method, path, body=None):
        s = self.connect()
        data = json.dumps(body).encode() if body is not None else b""
        s.sendall(("%s %s HTTP/1.1\r\nHost: cella\r\nConnection: close\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % (method, path, len(data))).encode() + data)
        code, headers = self.read_head(s)
        doc = self.read_body(s, headers)
        s.close()
        return code, doc

    def attach(self, op, secret, upgrade=True, early=b""):
        """(101, headers, socket) or (code, error document, None). early: bytes sent with the request."""
        s = self.connect()
        extra = "Connection: Upgrade\r\nUpgrade: cella-stream\r\n" if upgrade else ""
        s.sendall(("GET /1.0/operations/%s/stream?secret=%s HTTP/1.1\r\nHost: cella\r\n%s\r\n"
                   % (op, secret, extra)).encode() + early)
        code, headers = self.read_head(s)
        if code != 101:
            doc = self.read_body(s, headers)
            s.close()
            return code, doc, None
        return code, headers, s

    def read_until(self, s, needle, limit=30):
        buf, end = self.pending.pop(s, b""), time.time() + limit
        while needle.encode() not in buf:
            if time.time() > end:
                raise SystemExit("no %r in the stream within %d s: %r" % (needle, limit, buf))
            c = s.recv(4096)
            if not c:
                raise SystemExit("stream ended before %r: %r" % (needle, buf))
            buf += c
        cut = buf.index(needle.encode()) + len(needle)
        self.pending[s] = buf[cut:]
        return buf[:cut]

    def read_to_eof(self, s, limit=30):
        buf, end = self.pending.pop(s, b""), time.time() + limit
        while time.time() < end:
            c = s.recv(4096)
            if not c:
                return buf
            buf += c
        raise SystemExit("the stream was not closed within %d s: %r" % (limit, buf))

    def wait(self, op, timeout=60):
        code, doc = self.req("GET", "/1.0/operations/%s/wait?timeout=%d" % (op, timeout))
        if code != 200:
            raise SystemExit("wait %s: %d %r" % (op, code, doc))
        return doc["metadata"]
