"""A password-guessing IMAP client for the throttling tests: CONNECTIONS connections from
SOURCE (a loopback address; Linux accepts any 127.x source) send LOGIN with wrong passwords
for SECONDS, reconnecting whenever the server closes; then one JSON line of counts:

- guesses: answers to a guess (NO [AUTHENTICATIONFAILED]): what the attacker learns from
- throttled: attempts answered NO [UNAVAILABLE] (refused without checking the password)
- refused: connections refused at the greeting (BYE)
- accepted: a wrong password that was let in (must stay 0)

Run as a separate process (`python3 bruteforce.py ...`) so that its threads do not share
the test's interpreter lock. Prints "ready" once every connection has sent a first guess.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time

LOOPBACK = "127."


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--source", default="127.0.0.2")
    p.add_argument("--user", default="alice")
    p.add_argument("--connections", type=int, default=150)
    p.add_argument("--seconds", type=float, default=10)
    # Pause after a refusal before trying again (keeps the test machine usable).
    p.add_argument("--retry-pause", type=float, default=0.05)
    a = p.parse_args()
    assert a.source.startswith(LOOPBACK), "only loopback sources"
    counts = {"guesses": 0, "throttled": 0, "refused": 0, "accepted": 0}
    lock = threading.Lock()
    started = threading.Barrier(a.connections + 1)
    deadline = time.monotonic() + a.seconds

    local = threading.local()

    def arrived() -> None:
        """The first call in each thread counts it as started."""
        if not getattr(local, "arrived", False):
            local.arrived = True
            started.wait()

    def bump(key: str) -> None:
        with lock:
            counts[key] += 1

    def attempt(sock: socket.socket, reader, n: int) -> str | None:
        sock.sendall(f'a{n} LOGIN "{a.user}" "wrong-{n}"\r\n'.encode())
        arrived()
        while True:
            line = reader.readline()
            if not line or line.startswith(b"* BYE"):
                return None
            if line.startswith(f"a{n} ".encode()):
                return line.decode(errors="replace")

    def worker(index: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            try:
                sock = socket.create_connection(("127.0.0.1", a.port), timeout=30, source_address=(a.source, 0))
            except OSError:
                time.sleep(a.retry_pause)
                continue
            try:
                reader = sock.makefile("rb")
                if not reader.readline().startswith(b"* OK"):
                    arrived()
                    bump("refused")
                    time.sleep(a.retry_pause)
                    continue
                while time.monotonic() < deadline:
                    n += 1
                    answer = attempt(sock, reader, n)
                    if answer is None:
                        break
                    if "AUTHENTICATIONFAILED" in answer:
                        bump("guesses")
                    elif "UNAVAILABLE" in answer:
                        bump("throttled")
                        time.sleep(a.retry_pause)
                    elif " OK " in answer:
                        bump("accepted")
            except OSError:
                pass
            finally:
                sock.close()
        arrived()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(a.connections)]
    for t in threads:
        t.start()
    started.wait()
    print("ready", flush=True)
    for t in threads:
        t.join(timeout=a.seconds + 60)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    sys.exit(main())
