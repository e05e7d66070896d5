"""Passcode load generator for what wrk cannot do: exact-count preparation of live codes and the
full send -> outbox -> verify flow. Loopback only; every loop is bounded in time and count.

  prepare : POST /api/verification-codes for <prefix><i>@bench.test, i in [start, start+count),
            `concurrency` keep-alive connections; prints a JSON summary.
  flow    : each worker owns its identifiers; per iteration: send (204), read the code from
            <data dir>/outbox.jsonl (the outbox line is written before the 204), verify (204).
            Warm-up, then a measured window; prints a JSON summary (flows/s, p50/p99, errors).

The HTTP/1.1 client is a minimal keep-alive one on asyncio streams (no third-party client), so the
load generator spends as little CPU per request as Python allows; its own CPU use is reported.
"""
import argparse
import asyncio
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

HARD_CAP = 5_000_000  # requests per run, whatever the duration


class Conn:
    """One keep-alive HTTP/1.1 connection; requests on it are sequential."""

    def __init__(self, host, port, key):
        self.host, self.port = host, port
        self.head = (f"Host: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
                     "Content-Type: application/json\r\n").encode()
        self.r = self.w = None

    async def open(self):
        self.r, self.w = await asyncio.open_connection(self.host, self.port)

    async def post(self, path, body: bytes):
        if self.w is None:
            await self.open()
        self.w.write(b"POST " + path + b" HTTP/1.1\r\n" + self.head +
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        try:
            head = await self.r.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise
        status = int(head[9:12])
        length = 0
        close = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            lname = name.strip().lower()
            if lname == b"content-length":
                length = int(value)
            elif lname == b"connection" and value.strip().lower() == b"close":
                close = True
        payload = await self.r.readexactly(length) if length else b""
        if close:
            self.close()
        return status, payload

    def close(self):
        if self.w is not None:
            self.w.close()
        self.r = self.w = None


def pct(xs, p):
    if not xs:
        return None
    xs = sorted(xs)
    k = min(len(xs) - 1, max(0, int(round(p / 100.0 * len(xs) + 0.5)) - 1))
    return xs[k]


def proc_cpu(pid):
    """utime + stime of a process (all threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rnd3(x):
    return None if x is None else round(x, 3)


def loopback(url):
    u = urlsplit(url)
    if u.hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("loadgen: loopback targets only")
    return u.hostname, u.port


async def prepare(a):
    host, port = loopback(a.url)
    nxt = a.start
    end = a.start + a.count
    ok = 0
    errors = {}

    async def worker():
        nonlocal nxt, ok
        c = Conn(host, port, a.key)
        try:
            while nxt < end and time.monotonic() < deadline:
                i = nxt
                nxt += 1
                body = b'{"email":"%s%d@bench.test"}' % (a.prefix.encode(), i)
                try:
                    st, payload = await c.post(b"/api/verification-codes", body)
                except (OSError, asyncio.IncompleteReadError) as e:
                    errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
                    continue
                if st == 204:
                    ok += 1
                else:
                    k = f"{st}:{payload[:80].decode(errors='replace')}"
                    errors[k] = errors.get(k, 0) + 1
        finally:
            c.close()

    deadline = time.monotonic() + a.timeout
    t0 = time.monotonic()
    c0 = os.times()
    await asyncio.gather(*(worker() for _ in range(a.concurrency)))
    wall = time.monotonic() - t0
    c1 = os.times()
    out = {"mode": "prepare", "prefix": a.prefix, "start": a.start, "count": a.count, "ok": ok,
           "errors": errors, "wall_s": round(wall, 2), "per_s": round(ok / wall, 1) if wall else None,
           "client_cpu_s": round((c1.user + c1.system) - (c0.user + c0.system), 2)}
    print(json.dumps(out))
    return 0 if ok == a.count else 1


async def issue(a):
    """Creates live code records straight through the verifier's own RPC (`code.issue`, the call
    the gateway makes for a send) on its Unix socket, pipelined: the same verifier code path, the
    same transaction and HMAC per record, without HTTP parsing and delivery. Used only to fill the
    store for the scaling scenario, where a million sends through HTTP would take most of the run."""
    sock = os.path.join(a.data_dir, "verifier.sock")
    r, w = await asyncio.open_unix_connection(sock)
    window = max(1, a.concurrency)
    end = a.start + a.count
    sent = ok = 0
    errors = {}
    t0 = time.monotonic()
    c0 = os.times()
    deadline = t0 + a.timeout

    def frame(i):
        req = ('{"v":1,"id":%d,"method":"code.issue","deadline_ms":30000,"rid":"bench-seed",'
               '"params":{"scope":{"kind":"generic"},"identifier":{"type":"email","value":"%s%d@bench.test"},'
               '"templateType":"Generic"}}' % (i + 1, a.prefix, i)).encode()
        return len(req).to_bytes(4, "big") + req

    nxt = a.start
    inflight = 0
    while (nxt < end or inflight) and time.monotonic() < deadline:
        batch = []
        while nxt < end and inflight < window:
            batch.append(frame(nxt))
            nxt += 1
            inflight += 1
        if batch:
            w.write(b"".join(batch))
        head = await asyncio.wait_for(r.readexactly(4), max(0.1, deadline - time.monotonic()))
        body = await r.readexactly(int.from_bytes(head, "big"))
        inflight -= 1
        sent += 1
        if b'"result"' in body[:40] or b'"error"' not in body:
            ok += 1
        else:
            k = body[:160].decode(errors="replace")
            k = re.sub(r'"id":\d+', '"id":N', k)
            errors[k] = errors.get(k, 0) + 1
    w.close()
    wall = time.monotonic() - t0
    c1 = os.times()
    out = {"mode": "issue", "prefix": a.prefix, "start": a.start, "count": a.count, "ok": ok, "errors": errors,
           "wall_s": round(wall, 2), "per_s": round(ok / wall, 1) if wall else None,
           "client_cpu_s": round((c1.user + c1.system) - (c0.user + c0.system), 2)}
    print(json.dumps(out))
    return 0 if ok == a.count else 1


class Outbox:
    """Tails outbox.jsonl from the end it had when the run started; newest code per recipient."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
        os.lseek(self.fd, 0, os.SEEK_END)
        self.rest = b""
        self.latest = {}

    def pump(self):
        while True:
            chunk = os.read(self.fd, 1 << 20)
            if not chunk:
                return
            data = self.rest + chunk
            lines = data.split(b"\n")
            self.rest = lines.pop()
            for line in lines:
                if line:
                    m = json.loads(line)
                    self.latest[m["to"]] = m["code"]

    async def code_for(self, to, timeout=2.0):
        deadline = time.monotonic() + timeout
        while True:
            code = self.latest.pop(to, None)
            if code is not None:
                return code
            self.pump()
            code = self.latest.pop(to, None)
            if code is not None or time.monotonic() > deadline:
                return code
            await asyncio.sleep(0.0005)


async def flow(a):
    host, port = loopback(a.url)
    outbox = Outbox(os.path.join(a.data_dir, "outbox.jsonl"))
    errors = {}
    rec = []

    def err(k):
        errors[k] = errors.get(k, 0) + 1

    async def worker(w, until, record):
        c = Conn(host, port, a.key)
        i = 0
        try:
            while time.monotonic() < until and i < HARD_CAP:
                to = "flow%d-%d@bench.test" % (w, i % a.ids_per_worker)
                i += 1
                t0 = time.perf_counter()
                try:
                    st, payload = await c.post(b"/api/verification-codes", b'{"email":"%s"}' % to.encode())
                    if st != 204:
                        err(f"send:{st}:{payload[:80].decode(errors='replace')}")
                        continue
                    code = await outbox.code_for(to)
                    if code is None:
                        err("no-outbox-line")
                        continue
                    st, payload = await c.post(b"/api/verification-codes/verify",
                                               b'{"email":"%s","verificationCode":"%s"}' % (to.encode(), code.encode()))
                except (OSError, asyncio.IncompleteReadError) as e:
                    err(type(e).__name__)
                    continue
                if st != 204:
                    err(f"verify:{st}:{payload[:80].decode(errors='replace')}")
                    continue
                if record:
                    rec.append(time.perf_counter() - t0)
        finally:
            c.close()

    if a.warmup > 0:
        until = time.monotonic() + a.warmup
        await asyncio.gather(*(worker(w, until, False) for w in range(a.concurrency)))
    errors.clear()
    pids = [int(p) for p in a.pids.split(",") if p]
    s0 = sum(proc_cpu(p) for p in pids)
    c0 = os.times()
    t0 = time.monotonic()
    until = t0 + a.duration
    await asyncio.gather(*(worker(w, until, True) for w in range(a.concurrency)))
    wall = time.monotonic() - t0
    c1 = os.times()
    s1 = sum(proc_cpu(p) for p in pids)
    ms = [x * 1000 for x in rec]
    out = {"mode": "flow", "concurrency": a.concurrency, "wall_s": round(wall, 3), "flows": len(rec),
           "per_s": round(len(rec) / wall, 1), "p50_ms": rnd3(pct(ms, 50)), "p90_ms": rnd3(pct(ms, 90)),
           "p99_ms": rnd3(pct(ms, 99)), "errors": errors, "server_cpu_s": round(s1 - s0, 3),
           "client_cpu_s": round((c1.user + c1.system) - (c0.user + c0.system), 2)}
    print(json.dumps(out))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["prepare", "issue", "flow"])
    ap.add_argument("--url", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--prefix", default="miss")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--count", type=int, default=10_000)
    ap.add_argument("--timeout", type=float, default=900, help="prepare: give up after this many seconds")
    ap.add_argument("--data-dir")
    ap.add_argument("--duration", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--ids-per-worker", type=int, default=256)
    ap.add_argument("--pids", default="", help="flow: server pids whose CPU over the measured window is reported")
    a = ap.parse_args()
    a.duration = min(a.duration, 300.0)
    a.count = min(a.count, HARD_CAP)
    a.timeout = min(a.timeout, 3600.0)
    if a.mode == "prepare":
        return asyncio.run(prepare(a))
    if not a.data_dir:
        sys.exit(f"{a.mode} needs --data-dir")
    if a.mode == "issue":
        return asyncio.run(issue(a))
    return asyncio.run(flow(a))


if __name__ == "__main__":
    sys.exit(main())
