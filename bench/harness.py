"""The benchmark harness behind bench/run (issue 7). Loopback only.

Runs every scenario with its reference in the same run, alternating A B A B for `rounds` rounds,
and reports medians: requests/s, p50/p99, Passcode CPU seconds per 1,000 requests (summed over the
launcher, gateway, verifier and connector, from /proc/<pid>/stat), and peak RSS per process
(VmHWM, reset through /proc/<pid>/clear_refs before each measured window). Writes
bench/RESULTS.md, bench/results.json and bench/results.png.

Every process it starts is recorded in <work>/pids (bench/run's EXIT trap kills those) and stopped
here in `finally`. Every wait has a deadline; every load run has a duration and a request cap.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
API_KEY = "bench-key-0123456789abcdef"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The configuration every Passcode instance runs with (stated in RESULTS.md).
PASSCODE_ENV = {
    "PASSCODE_LISTEN": "127.0.0.1:0",
    "PASSCODE_API_KEYS": API_KEY,
    "PASSCODE_LOG_LEVEL": "warning",
    "PASSCODE_SEND_LIMIT": "100000",        # the maximum: every prepared identifier is re-armed per round
    "PASSCODE_IP_SEND_LIMIT": "1000000",   # Experience API only; kept out of the way
    "PASSCODE_MAX_ATTEMPTS": "100",        # the maximum: wrong guesses stay code_mismatch longer
    "PASSCODE_CODE_TTL": "3600",           # the maximum: 1,000,000 records stay live through scaling
    "PASSCODE_EMAIL_PROVIDER": "outbox",
    "PASSCODE_SMS_PROVIDER": "outbox",
}


class Bench:
    def __init__(self, args):
        self.a = args
        self.work = args.work
        self.pidfile = os.path.join(self.work, "pids")
        self.started = []          # (what, Popen or pid)
        self.results = {"scenarios": {}, "idle_rss": {}, "notes": [], "prepare": {}}
        self.log_path = os.path.join(self.work, "harness.log")

    # ---------------------------------------------------------------- plumbing

    def log(self, msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        with open(self.log_path, "a") as f:
            f.write(line + "\n")

    def remember(self, pid):
        # "pid starttime": bench/run's EXIT trap kills a pid only while its start time still
        # matches, so a number the kernel has since given to another process is left alone
        with open(self.pidfile, "a") as f:
            f.write(f"{pid} {self.start_time(pid)}\n")

    @staticmethod
    def start_time(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[19]
        except (OSError, IndexError):
            return "0"

    def kill_if_same(self, pid, started, sig):
        if started != "0" and self.start_time(pid) == started:
            try:
                os.kill(pid, sig)
            except OSError:
                pass

    def wait_until(self, pred, timeout, what, interval=0.05):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = pred()
            if v:
                return v
            time.sleep(interval)
        raise RuntimeError(f"timed out after {timeout}s waiting for {what}")

    @staticmethod
    def free_port():
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        return port

    @staticmethod
    def port_free(port):
        s = socket.socket()
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False
        finally:
            s.close()

    @staticmethod
    def cpu_seconds(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    @staticmethod
    def status_kib(pid, field):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            pass
        return None

    @staticmethod
    def reset_hwm(pid):
        try:  # "5" resets the peak RSS (VmHWM) to the current RSS (proc(5), Linux >= 4.0)
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            pass

    @staticmethod
    def children(pid):
        out = []
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                for c in f.read().split():
                    out.append(int(c))
                    out += Bench.children(int(c))
        except OSError:
            pass
        return out

    @staticmethod
    def exe_name(pid):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return os.path.basename(f.read().split(b"\0")[0].decode())
        except OSError:
            return "?"

    def measure(self, procs, fn):
        """Runs fn() (which returns a dict with 'requests') with CPU and peak-RSS accounting for
        `procs` (name -> pid)."""
        for pid in procs.values():
            self.reset_hwm(pid)
        c0 = {n: self.cpu_seconds(p) for n, p in procs.items()}
        r = fn()
        c1 = {n: self.cpu_seconds(p) for n, p in procs.items()}
        cpu = {n: round(c1[n] - c0[n], 3) for n in procs}
        r["cpu_s"] = round(sum(cpu.values()), 3)
        r["cpu_by_process"] = cpu
        window = r.get("window_cpu_s", r["cpu_s"])
        r["cpu_s_per_1k"] = round(window / r["requests"] * 1000, 4) if r.get("requests") else None
        r["peak_rss_kib"] = {n: self.status_kib(p, "VmHWM") for n, p in procs.items()}
        return r

    # ---------------------------------------------------------------- Passcode

    def start_passcode(self, name):
        data = os.path.join(self.work, name)
        os.makedirs(data, exist_ok=True)
        out = os.path.join(self.work, f"{name}.out")
        env = dict(os.environ)
        env.update(PASSCODE_ENV)
        env["PASSCODE_DATA_DIR"] = data
        with open(out, "wb") as f:
            p = subprocess.Popen([os.path.join(self.a.bin, "passcode"), "up"], env=env, stdout=f,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.append(("passcode " + name, p))
        self.remember(p.pid)

        def ready():
            if p.poll() is not None:
                raise RuntimeError(f"passcode {name} exited with {p.returncode}; see {out}")
            with open(out, "rb") as f:
                m = re.search(rb"passcode ready on (http://[0-9.]+:[0-9]+)", f.read())
            return m.group(1).decode() if m else None

        url = self.wait_until(ready, 60, f"passcode {name} ready line")
        procs = {"launcher": p.pid}
        kids = self.children(p.pid)
        for c in kids:
            n = self.exe_name(c).replace("passcode-", "")
            procs[n] = c
            self.remember(c)
        self.log(f"passcode {name} ready on {url}: {procs}")
        started = {pid: self.start_time(pid) for pid in procs.values()}
        return {"name": name, "url": url, "data": data, "procs": procs, "popen": p, "started": started}

    def stop_passcode(self, inst):
        p = inst["popen"]
        if p.poll() is not None:
            self.log(f"passcode {inst['name']} had already exited with status {p.returncode}")
        else:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for pid in inst["procs"].values():  # a child the launcher failed to stop
            self.kill_if_same(pid, inst["started"].get(pid, "0"), signal.SIGKILL)

    def revive(self, inst, rearm=False):
        """A Passcode instance found stopped between two measurements is noted (with the launcher's
        exit status and last output) and replaced by a fresh one, so one external kill does not
        void a 25-minute run; every such event is listed in RESULTS.md."""
        p = inst["popen"]
        gone = [n for n, pid in inst["procs"].items() if not os.path.exists(f"/proc/{pid}")]
        if p.poll() is None and not gone:
            return inst
        try:
            with open(os.path.join(self.work, f"{inst['name']}.out"), "rb") as f:
                tail = f.read()[-600:].decode(errors="replace")
        except OSError:
            tail = ""
        note = (f"passcode {inst['name']} was found stopped at {time.strftime('%H:%M:%S')} (launcher exit status "
                f"{p.returncode}, processes gone: {', '.join(gone) or 'none'}; last output: {tail.strip()!r}); "
                "replaced by a fresh instance")
        self.results["notes"].append(note)
        self.log("WARNING " + note)
        self.stop_passcode(inst)
        self.restarts = getattr(self, "restarts", 0) + 1
        new = self.start_passcode(f"{inst['name'].split('-r')[0]}-r{self.restarts}")
        if rearm:
            self.prepare(new, "miss", self.a.miss_ids)
        return new

    def metrics(self, url):
        """passcode_verify_failures_total by code, from the gateway's /metrics."""
        import urllib.request
        with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
            text = r.read().decode()
        out = {}
        for m in re.finditer(r'^passcode_verify_failures_total\{code="([^"]+)"\} (\d+)$', text, re.M):
            out[m.group(1)] = int(m.group(2))
        for m in re.finditer(r'^passcode_codes_verified_total\{api="([^"]+)"\} (\d+)$', text, re.M):
            out["verified:" + m.group(1)] = int(m.group(2))
        return out

    def prepare(self, inst, prefix, count, via="api"):
        """Gives <prefix><i>@bench.test, i < count, a live code: through the HTTP send route (the
        whole path: gateway, verifier, connector, outbox), or through the verifier's `code.issue`
        RPC (the same record creation, no HTTP, no delivery) where a million sends would not fit."""
        t0 = time.monotonic()
        cmd = [sys.executable, os.path.join(HERE, "loadgen.py"), "prepare" if via == "api" else "issue",
               "--url", inst["url"], "--key", API_KEY, "--data-dir", inst["data"], "--prefix", prefix,
               "--count", str(count), "--concurrency", str(self.a.conc if via == "api" else 256),
               "--timeout", str(self.a.prepare_timeout)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.a.prepare_timeout + 60)
        try:
            j = json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RuntimeError(f"prepare failed: {r.stdout[-500:]} {r.stderr[-2000:]}")
        if j["ok"] != count:
            raise RuntimeError(f"prepare {prefix}: {j['ok']} of {count} records created: {j['errors']}")
        j["via"] = via
        self.log(f"prepared {count:,} live codes {prefix}* on {inst['name']} via {via} in "
                 f"{time.monotonic() - t0:.1f}s ({j['per_s']}/s)")
        return j

    # ---------------------------------------------------------------- load tools

    def wrk(self, url, script, duration, env=None, conc=None):
        e = dict(os.environ)
        e.update(env or {})
        cmd = ["wrk", f"-t{self.a.wrk_threads}", f"-c{conc or self.a.conc}", f"-d{duration}s", "--timeout", "5s",
               "-s", os.path.join(HERE, "lua", script), url]
        r = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=duration + 60)
        m = re.search(r"^WRKJSON (\{.*\})$", r.stdout, re.M)
        if not m:
            raise RuntimeError(f"wrk failed: {r.stdout[-1000:]} {r.stderr[-1000:]}")
        j = json.loads(m.group(1))
        secs = j["duration_us"] / 1e6
        errors = j["connect_errors"] + j["read_errors"] + j["write_errors"] + j["timeout_errors"]
        return {"requests": j["requests"], "rps": round(j["requests"] / secs, 1),
                "p50_ms": j["p50_us"] / 1000, "p99_ms": j["p99_us"] / 1000, "socket_errors": errors,
                "non_2xx": j["status_errors"], "seconds": round(secs, 2)}

    def flow(self, inst, duration, warmup, conc=None):
        r = subprocess.run([sys.executable, os.path.join(HERE, "loadgen.py"), "flow", "--url", inst["url"],
                            "--key", API_KEY, "--data-dir", inst["data"], "--concurrency", str(conc or self.a.conc),
                            "--duration", str(duration), "--warmup", str(warmup),
                            "--pids", ",".join(str(p) for p in inst["procs"].values())],
                           capture_output=True, text=True, timeout=duration + warmup + 120)
        try:
            j = json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise RuntimeError(f"flow failed: {r.stdout[-500:]} {r.stderr[-2000:]}")
        return {"requests": j["flows"], "rps": j["per_s"], "p50_ms": j["p50_ms"], "p99_ms": j["p99_ms"],
                "errors": j["errors"], "client_cpu_s": j["client_cpu_s"],
                "window_cpu_s": j["server_cpu_s"]}  # CPU over the measured window, not the warm-up

    # ---------------------------------------------------------------- nginx

    def start_nginx(self):
        d = os.path.join(self.work, "nginx")
        os.makedirs(os.path.join(d, "www"), exist_ok=True)
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        with open(os.path.join(d, "www", "ok"), "w") as f:
            f.write("ok")
        # the workers run as nobody: every directory on the way must be traversable
        for path in (self.work, d, os.path.join(d, "www"), os.path.join(d, "tmp")):
            os.chmod(path, 0o755)
        port = self.free_port()
        conf = os.path.join(d, "nginx.conf")
        with open(os.path.join(HERE, "nginx.conf.in")) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(text.replace("@DIR@", d).replace("@PORT@", str(port)))
        p = subprocess.Popen(["nginx", "-p", d, "-c", conf, "-e", os.path.join(d, "error.log")],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, "stderr"), "wb"),
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.started.append(("nginx", p))
        self.remember(p.pid)
        url = f"http://127.0.0.1:{port}"

        def up():
            if p.poll() is not None:
                raise RuntimeError(f"nginx exited with {p.returncode}; see {d}/error.log")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False

        self.wait_until(up, 20, "nginx")
        procs = {"master": p.pid}
        for i, c in enumerate(self.wait_until(lambda: self.children(p.pid) if len(self.children(p.pid)) >= 2 else None,
                                              10, "nginx workers")):
            procs[f"worker{i + 1}"] = c
            self.remember(c)
        self.log(f"nginx on {url}: {procs}")
        return {"url": url + "/ok", "procs": procs, "popen": p}

    def stop_nginx(self, ng):
        p = ng["popen"]
        if p.poll() is None:
            p.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)

    # ---------------------------------------------------------------- privacyIDEA

    def start_peer(self):
        src = self.a.peer_dir
        d = os.path.join(self.work, "privacyidea")
        shutil.copytree(src, d)  # shared/ is read-only
        for port in (5001, self.a.smtp_port):
            if not self.port_free(port):
                raise RuntimeError(f"port {port} is in use; privacyIDEA's recipe needs it")
        # The users enrolled at setup, and the ones each load run spreads its workers over.
        self.peer_users = max([64] + self.a.peer_conc)
        env = dict(os.environ)
        env.update({"VENV": self.a.venv, "PIDATA": os.path.join(d, ".pidata"),
                    "NUSERS": str(self.peer_users), "SMTP_PORT": str(self.a.smtp_port)})
        self.peer_env = env
        self.log("privacyIDEA: setup (tables, keys, admin, users)")
        with open(os.path.join(self.work, "pi-setup.log"), "wb") as f:
            subprocess.run([os.path.join(d, "setup.sh")], env=env, stdout=f, stderr=subprocess.STDOUT,
                           check=True, timeout=600)
        r = subprocess.run([os.path.join(d, "run_server.sh")], env=env, capture_output=True, text=True,
                           check=True, timeout=120)
        master = int(r.stdout.strip().splitlines()[-1])
        self.started.append(("gunicorn", master))
        self.remember(master)

        def healthy():
            try:
                import urllib.request
                with urllib.request.urlopen("http://127.0.0.1:5001/healthz/", timeout=2) as resp:
                    return resp.status == 200
            except OSError:
                return False

        self.wait_until(healthy, 90, "privacyIDEA /healthz/", interval=0.5)
        self.log("privacyIDEA: configure (resolver, realm, SMTP sink, tokens)")
        with open(os.path.join(self.work, "pi-configure.log"), "wb") as f:
            subprocess.run([os.path.join(self.a.venv, "bin", "python"), os.path.join(d, "configure.py")], env=env,
                           stdout=f, stderr=subprocess.STDOUT, check=True, timeout=900)
        procs = {"master": master}
        for i, c in enumerate(self.children(master)):
            procs[f"worker{i + 1}"] = c
            self.remember(c)
        self.log(f"privacyIDEA on http://127.0.0.1:5001: {procs}")
        started = {pid: self.start_time(pid) for pid in procs.values()}
        return {"dir": d, "procs": procs, "master": master, "started": started}

    def stop_peer(self, peer):
        try:
            os.kill(peer["master"], signal.SIGTERM)
        except OSError:
            return
        try:
            self.wait_until(lambda: not os.path.exists(f"/proc/{peer['master']}"), 20, "gunicorn to stop")
        except RuntimeError:
            for pid in peer["procs"].values():
                self.kill_if_same(pid, peer["started"].get(pid, "0"), signal.SIGKILL)

    def peer_run(self, peer, mode, duration, conc):
        out = os.path.join(self.work, f"pi-{mode}-{time.monotonic_ns()}.json")
        r = subprocess.run([os.path.join(self.a.venv, "bin", "python"), os.path.join(peer["dir"], "loadtest.py"),
                            "--mode", mode, "--trigger", "admin", "--duration", str(duration),
                            "--concurrency", str(conc), "--users", str(self.peer_users), "--warmup", str(self.a.peer_warmup),
                            "--smtp-port", str(self.a.smtp_port), "--json-out", out],
                           env=self.peer_env, capture_output=True, text=True, timeout=duration + 600)
        if r.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f"privacyIDEA loadtest failed: {r.stdout[-800:]} {r.stderr[-2000:]}")
        with open(out) as f:
            j = json.load(f)
        s = j["flow"] if mode == "flow" else j["miss"]
        # loadtest.py samples the gunicorn processes' CPU over its measured window only (not over
        # the challenge set-up and warm-up), which is what CPU per request must be divided by
        return {"requests": s["n"], "rps": s["per_s"], "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"],
                "errors": j["errors"], "window_cpu_s": round(j["cpu"]["server_cores_used"] * j["wall_s"], 3),
                "machine_busy_pct": j["cpu"]["machine_busy_pct"],
                "other_processes": j["cpu"].get("other_processes_cores", [])}

    # ---------------------------------------------------------------- scenarios

    def record(self, scenario, target, result):
        self.results["scenarios"].setdefault(scenario, {}).setdefault(target, []).append(result)
        self.log(f"{scenario:12s} {target:34s} {result['rps']:>10} /s  p50 {result['p50_ms']} ms  "
                 f"p99 {result['p99_ms']} ms  cpu/1k {result.get('cpu_s_per_1k')}")
        self.save()

    def save(self):
        with open(os.path.join(self.work, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1)

    def outcome_check(self, inst, before, requests, label):
        after = self.metrics(inst["url"])
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        mismatch = delta.get("verification_code.code_mismatch", 0)
        if requests and mismatch < 0.99 * requests:
            note = f"{label}: only {mismatch} of {requests} verifies were code_mismatch: {delta}"
            self.results["notes"].append(note)
            self.log("WARNING " + note)
        return delta

    def rss_now(self, inst):
        """VmRSS per process, plus PSS (shared library pages split between the processes that map
        them) from smaps_rollup, since the three services share the Swift runtime and Foundation."""
        out = {n: self.status_kib(p, "VmRSS") for n, p in inst["procs"].items()}
        for n, p in inst["procs"].items():
            try:
                with open(f"/proc/{p}/smaps_rollup") as f:
                    m = re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M)
                out["pss:" + n] = int(m.group(1)) if m else None
            except OSError:
                out["pss:" + n] = None
        return out

    def scenario_idle(self, main):
        time.sleep(self.a.settle)  # let start-up allocations settle before reading RSS
        rss = self.rss_now(main)
        self.results["idle_rss"]["after start"] = rss
        self.log(f"idle RSS after start (KiB): {rss}")

    def scenario_edge(self, main, ng):
        a = self.a
        self.wrk(main["url"] + "/healthz", "get.lua", a.warmup)
        self.wrk(ng["url"], "get.lua", a.warmup)
        for rnd in range(a.rounds):
            self.record("edge", "passcode GET /healthz",
                        self.measure(main["procs"], lambda: self.wrk(main["url"] + "/healthz", "get.lua", a.duration)))
            self.record("edge", "nginx 2-byte static file",
                        self.measure(ng["procs"], lambda: self.wrk(ng["url"], "get.lua", a.duration)))

    def scenario_miss(self, main, ng):
        a = self.a
        env = {"BENCH_IDS": str(a.miss_ids), "BENCH_PREFIX": "miss", "BENCH_KEY": API_KEY}
        self.results["prepare"]["verify-miss"] = self.prepare(main, "miss", a.miss_ids)
        self.wrk(main["url"], "verify_miss.lua", a.warmup, env)
        for rnd in range(a.rounds):
            main = self.revive(main)
            # re-arm: a new code per identifier resets its attempt count (only the latest code is live)
            self.prepare(main, "miss", a.miss_ids, via="rpc")
            before = self.metrics(main["url"])
            r = self.measure(main["procs"], lambda: self.wrk(main["url"], "verify_miss.lua", a.duration, env))
            r["outcomes"] = self.outcome_check(main, before, r["requests"], f"verify-miss round {rnd + 1}")
            self.record("verify-miss", "passcode verify-miss (10,000 ids)", r)
            self.record("verify-miss", "nginx 2-byte static file",
                        self.measure(ng["procs"], lambda: self.wrk(ng["url"], "get.lua", a.duration)))
        return main

    def scenario_flow(self, main):
        a = self.a
        for rnd in range(a.rounds):
            main = self.revive(main)
            self.record("send+verify", "passcode send+verify",
                        self.measure(main["procs"], lambda: self.flow(main, a.duration, a.warmup)))
        return main

    def scenario_peer(self, main, peer):
        """privacyIDEA's flow and wrong-code check against Passcode's, both sides at the same
        concurrency, alternating A B per round, at each of the peer concurrencies in turn: the
        recipe's 16, then the 64 of the other scenarios (privacyIDEA's two sync workers are busy at
        either: it queues the extra requests, while Passcode's pipeline fills)."""
        a = self.a
        env = {"BENCH_IDS": str(a.miss_ids), "BENCH_PREFIX": "miss", "BENCH_KEY": API_KEY}
        for c in a.peer_conc:
            self.wrk(main["url"], "verify_miss.lua", a.warmup, env, conc=c)
            for rnd in range(a.peer_rounds):
                main = self.revive(main)
                self.record("peer", f"passcode send+verify (c={c})",
                            self.measure(main["procs"], lambda: self.flow(main, a.duration, a.warmup, conc=c)))
                self.record("peer", f"privacyIDEA send+verify (c={c})",
                            self.measure(peer["procs"], lambda: self.peer_run(peer, "flow", a.peer_duration, c)))
                main = self.revive(main)
                self.prepare(main, "miss", a.miss_ids, via="rpc")
                before = self.metrics(main["url"])
                r = self.measure(main["procs"], lambda: self.wrk(main["url"], "verify_miss.lua", a.duration, env, conc=c))
                r["outcomes"] = self.outcome_check(main, before, r["requests"], f"peer verify-miss (c={c}) round {rnd + 1}")
                self.record("peer", f"passcode verify-miss (c={c})", r)
                self.record("peer", f"privacyIDEA wrong-code check (c={c})",
                            self.measure(peer["procs"], lambda: self.peer_run(peer, "miss", a.peer_duration, c)))
        return main

    def scenario_scaling(self):
        a = self.a
        small = self.start_passcode("scale-small")
        big = None
        try:
            big = self.start_passcode("scale-big")
            self.results["prepare"]["scaling small"] = self.prepare(small, "s", a.scale_small, via="rpc")
            self.results["prepare"]["scaling big"] = self.prepare(big, "b", a.scale_big, via="rpc")
            # The big store's file was just written (about 500 MB in 1.5 min): flush it before the
            # rounds, so no writeback of it can be measured as the store's (a guard; the kernel has
            # usually kept up and this takes 0.01 s).
            started = time.monotonic()
            os.sync()
            self.results["scaling_flush_s"] = round(time.monotonic() - started, 2)
            self.log(f"flushed the prepared stores to disk in {self.results['scaling_flush_s']} s")
            self.results["scaling_rss_after_prepare"] = {
                "small": self.status_kib(small["procs"]["verifier"], "VmRSS"),
                "big": self.status_kib(big["procs"]["verifier"], "VmRSS")}
            self.results["scaling_db_bytes"] = {
                n: sum(os.path.getsize(os.path.join(i["data"], f)) for f in os.listdir(i["data"]) if ".sqlite" in f)
                for n, i in (("small", small), ("big", big))}
            env_s = {"BENCH_IDS": str(a.scale_small), "BENCH_PREFIX": "s", "BENCH_KEY": API_KEY}
            env_b = {"BENCH_IDS": str(a.scale_big), "BENCH_PREFIX": "b", "BENCH_KEY": API_KEY}
            # Warmed for the same time at both sizes. Chosen when each guess read one leaf of the
            # Generic index at random (about 30,000 leaves at 1,000,000 records, ~100,000 guesses
            # before the page cache held nearly all); the verifier now holds the live Generic
            # records in memory (GenericRecordCache.swift), and the warm-up lets its attempt ledger
            # and allocator settle alike for both sizes.
            self.wrk(small["url"], "verify_miss.lua", a.scale_warmup, env_s)
            self.wrk(big["url"], "verify_miss.lua", a.scale_warmup, env_b)
            label_s = f"verify-miss, {a.scale_small:,} live records"
            label_b = f"verify-miss, {a.scale_big:,} live records"
            for rnd in range(a.scale_rounds):
                parts_s, parts_b = [], []
                # The two sizes take turns slice by slice, in the order small, big, big, small: a
                # change in the machine's speed during a round falls on both alike (a steady drift
                # cancels out) rather than on one size's whole half, as when each ran its two slices
                # back to back.
                for i in range(self.SCALE_SLICES):
                    for which in (("s", "b") if i % 2 == 0 else ("b", "s")):
                        if which == "s":
                            parts_s.append(self.scale_slice(small, "s", a.scale_small, env_s, f"scaling small round {rnd + 1}", rearm=True))
                        else:
                            parts_b.append(self.scale_slice(big, "b", a.scale_big, env_b, f"scaling big round {rnd + 1}", rearm=False))
                self.record("scaling", label_s, self.merge_slices(parts_s))
                self.record("scaling", label_b, self.merge_slices(parts_b))
        finally:
            self.stop_passcode(small)
            if big:
                self.stop_passcode(big)

    # Slices per scaling round (each scale_duration / SCALE_SLICES seconds).
    SCALE_SLICES = 2

    def scale_slice(self, inst, prefix, count, env, label, rearm):
        """One slice of a scaling round: a wrk run of scale_duration / SCALE_SLICES seconds, measured
        on its own. With `rearm`, every code is re-issued first: a code takes 100 attempts, so
        1,000 records hold 100,000 guesses, fewer than 6 s at 17,000/s, and a guess past the budget
        is answered exceed_max_try without a write. (1,000,000 records hold 100 million and take
        minutes to re-issue: not re-armed.)"""
        if rearm:
            self.prepare(inst, prefix, count, via="rpc")
        before = self.metrics(inst["url"])
        seconds = max(1, round(self.a.scale_duration / self.SCALE_SLICES))
        r = self.measure(inst["procs"], lambda: self.wrk(inst["url"], "verify_miss.lua", seconds, env))
        r["outcomes"] = self.outcome_check(inst, before, r["requests"], label)
        return r

    @staticmethod
    def merge_slices(parts):
        """One size's slices of a round as one result: requests, seconds and CPU summed; p50/p99
        weighted by requests; peak RSS the larger."""
        n = sum(p["requests"] for p in parts)
        secs = sum(p["seconds"] for p in parts)
        cpu = sum(p["cpu_s"] for p in parts)
        merged = {"requests": n, "seconds": round(secs, 2), "rps": round(n / secs, 1) if secs else 0,
                  "p50_ms": round(sum(p["p50_ms"] * p["requests"] for p in parts) / n, 3) if n else None,
                  "p99_ms": round(sum(p["p99_ms"] * p["requests"] for p in parts) / n, 3) if n else None,
                  "socket_errors": sum(p["socket_errors"] for p in parts), "non_2xx": sum(p["non_2xx"] for p in parts),
                  "cpu_s": round(cpu, 3), "cpu_s_per_1k": round(cpu / n * 1000, 4) if n else None,
                  "cpu_by_process": {k: round(sum(p["cpu_by_process"][k] for p in parts), 3) for k in parts[0]["cpu_by_process"]},
                  "peak_rss_kib": {k: max(p["peak_rss_kib"][k] or 0 for p in parts) for k in parts[0]["peak_rss_kib"]},
                  "outcomes": {}, "slices": len(parts)}
        for p in parts:
            for k, v in p["outcomes"].items():
                merged["outcomes"][k] = merged["outcomes"].get(k, 0) + v
        return merged

    # ---------------------------------------------------------------- main

    def main_scenarios(self):
        """Idle, edge, verify-miss, send+verify and the peer, on one instance beside nginx and privacyIDEA."""
        a = self.a
        main = ng = peer = None
        try:
            main = self.start_passcode("main")
            if a.only != "peer":
                self.scenario_idle(main)
                ng = self.start_nginx()
                self.scenario_edge(main, ng)
                main = self.scenario_miss(main, ng)
                main = self.scenario_flow(main)
                self.stop_nginx(ng)
                ng = None
            if a.peer_dir:
                peer = self.start_peer()
                main = self.scenario_peer(main, peer)
                self.stop_peer(peer)
                peer = None
            time.sleep(self.a.settle)
            main = self.revive(main)
            self.results["idle_rss"]["idle after load"] = self.rss_now(main)
        finally:
            if peer:
                self.stop_peer(peer)
            if ng:
                self.stop_nginx(ng)
            if main:
                self.stop_passcode(main)

    def run(self):
        a = self.a
        self.results["meta"] = machine_info(a)
        self.results["config"] = {"passcode_env": PASSCODE_ENV, "mode": "quick" if a.quick else "full",
                                  "rounds": a.rounds, "duration_s": a.duration, "warmup_s": a.warmup,
                                  "connections": a.conc, "wrk_threads": a.wrk_threads, "miss_ids": a.miss_ids,
                                  "scale_small": a.scale_small, "scale_big": a.scale_big,
                                  "scale_duration_s": a.scale_duration, "scale_rounds": a.scale_rounds, "peer": bool(a.peer_dir),
                                  "peer_duration_s": a.peer_duration, "peer_conc": a.peer_conc,
                                  "peer_rounds": a.peer_rounds}
        if a.only != "scaling":
            self.main_scenarios()
        if a.only in ("all", "scaling"):
            self.scenario_scaling()
        self.results["meta"]["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        self.save()


def machine_info(a):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1) if m else cpu
    except OSError:
        pass
    with open("/proc/meminfo") as f:
        memtotal = int(f.readline().split()[1])

    def version(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(memtotal / 1048576, 1),
            "kernel": platform.release(), "swift": version(["swift", "--version"]),
            "wrk": version(["wrk", "-v"]), "nginx": version(["nginx", "-v"]),
            "python": platform.python_version(), "loadavg_at_start": load,
            "commit": version(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True, help="directory with passcode and the three services (release)")
    ap.add_argument("--venv", required=True)
    ap.add_argument("--peer-dir", default="", help="privacyIDEA recipe (copied); empty = no peer")
    ap.add_argument("--smtp-port", type=int, default=2525)
    ap.add_argument("--conc", type=int, default=64)
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--peer-conc", default="16,64",
                    help="comma-separated concurrencies of the peer comparison (both sides at each)")
    ap.add_argument("--only", choices=["all", "main", "peer", "scaling"], default="all",
                    help="run part of the scenarios (for experiments; bench/run always runs all)")
    a = ap.parse_args()
    a.peer_conc = [int(x) for x in a.peer_conc.split(",") if x.strip()]
    if a.quick:
        a.rounds, a.duration, a.warmup, a.settle = 2, 3, 1, 1
        a.miss_ids, a.scale_small, a.scale_big, a.scale_duration = 10_000, 1_000, 20_000, 3
        a.scale_rounds, a.scale_warmup = 2, 1
        a.peer_dir, a.peer_duration, a.peer_warmup = "", 0, 0
        a.peer_rounds = a.rounds
        a.prepare_timeout = 120
    else:
        a.rounds, a.duration, a.warmup, a.settle = 3, 10, 3, 2
        # 6 s scaling rounds, in two halves (scale_round): the small instance's 1,000 codes allow 100
        # wrong guesses each (the verifier's maximum), which a 10 s round at 13,000/s used up.
        a.miss_ids, a.scale_small, a.scale_big, a.scale_duration = 10_000, 1_000, 1_000_000, 6
        # 5 scaling rounds (12 s each): the ratio of two noisy figures moved 0.78-0.91 over 3 rounds.
        a.scale_rounds = 5
        a.scale_warmup = 20
        a.peer_duration, a.peer_warmup = 30, 3
        # 5 peer rounds: both sides' figures move by a fifth or more between rounds on these shared
        # cores (Passcode 16.5k-28.8k wrong guesses/s within one run), so the median of three could
        # rest on one slow round of either side.
        a.peer_rounds = 5
        a.prepare_timeout = 1500
    b = Bench(a)
    try:
        b.run()
    finally:
        b.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
