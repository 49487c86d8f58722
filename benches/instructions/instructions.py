#!/usr/bin/env python3
"""User-space instructions per request of the gateway's routes, counted by callgrind.

Usage: python3 benches/instructions/instructions.py [NAME=BINARY ...]
       (default: gateway=target/release/oidc-gateway; run `bash tests/setup.sh` and
       `cargo build --release` first; needs valgrind and nginx: `apt-get install valgrind nginx-light`)

On 127.0.0.1 only it starts the real IdP (tests/idp), a static upstream (nginx `return 200`,
the load kit's config) and, for each binary in turn, the gateway with one worker thread under
`valgrind --tool=callgrind`, with the load kit's routes (benches/load/kong.yaml). One keep-alive
client sends, per route, a warm-up, then N1 requests between two callgrind dumps, then N2:
instructions per request = (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels whatever a dump costs
and is stable on a shared machine. Routes: plain (carrying the IdP's ~1.2 KB token in
Authorization, as the other routes do), client_credentials (a cached token), bearer
(a cached verification), and the plain route with prometheus, http-log or file-log. Prints one markdown table; every process it starts is stopped at exit.
Environment: N1=200 N2=1200 WARMUP=50 KEEP=1 (keep the work dir).
"""

import base64
import glob
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KIT = os.path.join(ROOT, "benches", "load")
N1 = int(os.environ.get("N1", "200"))
N2 = int(os.environ.get("N2", "1200"))
WARMUP = int(os.environ.get("WARMUP", "50"))
# The IdP's fixed test client (tests/idp).
CLIENT = ("kong_id", "RVXO9SOJskjw4LeVupjRbIMJIAyyil8j")

procs = []


def say(message):
    print(f"instructions: {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, argv, work, **env):
    log = open(os.path.join(work, f"{name}.log"), "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}, cwd=ROOT)
    procs.append(proc)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(2)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_listening(port, proc, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"process exited at start (see its log), port {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing listens on {port} after {seconds}s")


def render(template, out, **values):
    with open(os.path.join(KIT, template)) as f:
        text = f.read()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    with open(out, "w") as f:
        f.write(text)


def send(port, path, headers, count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for _ in range(count):
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}")
    conn.close()


def dump_total(pid, work, label):
    """Dumps callgrind's counters (which also zeroes them) and returns the Ir of the dump."""
    before = set(glob.glob(os.path.join(work, f"callgrind.out.{pid}*")))
    subprocess.run(["callgrind_control", "-d", label, str(pid)], check=True, capture_output=True)
    for _ in range(200):
        new = set(glob.glob(os.path.join(work, f"callgrind.out.{pid}*"))) - before
        if new:
            path = max(new, key=os.path.getmtime)
            time.sleep(0.2)
            with open(path) as f:
                for line in f:
                    match = re.match(r"^(summary|totals):\s+(\d+)", line)
                    if match:
                        return int(match.group(2))
        time.sleep(0.1)
    raise SystemExit("callgrind wrote no dump")


def per_request(pid, work, port, path, headers):
    send(port, path, headers, WARMUP)
    dump_total(pid, work, "warmup")
    send(port, path, headers, N1)
    ir1 = dump_total(pid, work, "n1")
    send(port, path, headers, N2)
    ir2 = dump_total(pid, work, "n2")
    return (ir2 - ir1) / (N2 - N1)


def main():
    binaries = [a.split("=", 1) for a in sys.argv[1:]] or [
        ("gateway", os.path.join(ROOT, "target", "release", "oidc-gateway"))
    ]
    for tool in ("valgrind", "callgrind_control", "node"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    work = tempfile.mkdtemp(prefix="oidc-gateway-instructions.")
    try:
        idp_port = free_port()
        idp = start("idp", ["node", "tests/idp/idp.mjs", "--port", str(idp_port), "--token-ttl", "3600",
                            "--key-file", os.path.join(work, "idp-key.json")], work)
        wait_listening(idp_port, idp, 30)
        issuer = f"http://127.0.0.1:{idp_port}/realms/kong"
        upstream_port = free_port()
        os.makedirs(os.path.join(work, "upstream-tmp"), exist_ok=True)
        render("upstream-nginx.conf", os.path.join(work, "upstream.conf"), WORK=work, NAME="upstream",
               PORT=upstream_port)
        upstream = start("upstream", [nginx, "-e", os.path.join(work, "upstream.error.log"), "-c",
                                      os.path.join(work, "upstream.conf")], work)
        wait_listening(upstream_port, upstream, 30)

        basic = "Basic " + base64.b64encode(f"{CLIENT[0]}:{CLIENT[1]}".encode()).decode()
        conn = http.client.HTTPConnection("127.0.0.1", idp_port, timeout=10)
        conn.request("POST", "/realms/kong/protocol/openid-connect/token", body="grant_type=client_credentials",
                     headers={"Authorization": basic, "Content-Type": "application/x-www-form-urlencoded"})
        token = json.loads(conn.getresponse().read())["access_token"]
        bearer = f"Bearer {token}"
        cases = [
            ("plain route (1.2 KB Authorization header)", "/plain/", {"Authorization": bearer}),
            ("client_credentials (cached token)", "/cc/", {"Authorization": basic}),
            ("bearer (cached verification)", "/bearer/", {"Authorization": bearer}),
            ("plain + prometheus (every switch on)", "/prometheus/", {"Authorization": bearer}),
            ("plain + http-log (Kong's queue defaults)", "/http-log/", {"Authorization": bearer}),
            ("plain + file-log (/dev/null)", "/file-log/", {"Authorization": bearer}),
        ]
        results = {}
        for name, binary in binaries:
            port = free_port()
            render("kong.yaml", os.path.join(work, "kong.yaml"), ISSUER=issuer, UPSTREAM_PORT=upstream_port)
            render("gateway.yaml", os.path.join(work, "gateway.yaml"), WORK=work, PORT=port, THREADS=1,
                   CACHE_MAX=1000)
            say(f"{name}: starting {binary} under callgrind")
            gateway = start(f"gateway-{name}", ["valgrind", "--tool=callgrind",
                                                f"--callgrind-out-file={work}/callgrind.out.%p",
                                                binary, "-c", os.path.join(work, "gateway.yaml")], work)
            wait_listening(port, gateway)
            for label, path, headers in cases:
                results[(name, label)] = per_request(gateway.pid, work, port, path, headers)
                say(f"{name} {label}: {results[(name, label)]:.0f} instructions/request")
            stop(gateway)
        names = [n for n, _ in binaries]
        print(f"\nInstructions per request (callgrind, N1={N1}, N2={N2}, one keep-alive connection)\n")
        print("| route | " + " | ".join(names) + (" | ratio " + names[-1] + "/" + names[0] if len(names) > 1 else "") + " |")
        print("|---|" + "---:|" * (len(names) + (1 if len(names) > 1 else 0)))
        for label, _, _ in cases:
            row = [f"{results[(n, label)]:,.0f}" for n in names]
            if len(names) > 1:
                row.append(f"{results[(names[-1], label)] / results[(names[0], label)]:.3f}")
            print(f"| {label} | " + " | ".join(row) + " |")
    finally:
        for proc in reversed(procs):
            stop(proc)
        if os.environ.get("KEEP") == "1":
            say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
