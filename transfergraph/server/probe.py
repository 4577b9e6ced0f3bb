"""What listens on a port: a raw Bolt handshake, answered in about a second instead of the driver's
minute of retries against something that is not Neo4j.

A Bolt server answers the 4-byte magic and four proposed versions with 4 bytes (the version it
picked, or zeros). Anything else is named: an HTTP server (after a blank line it answers
`HTTP/...`), an SSH server, a listener that closes the connection or never answers.
"""

from __future__ import annotations

import socket
import time

BOLT_MAGIC = b"\x60\x60\xb0\x17"
# Proposed versions, 4 bytes each [reserved, range, minor, major]: 5.0-5.8, 4.4, 4.0-4.3, 3.0.
BOLT_VERSIONS = bytes([0, 8, 8, 5, 0, 0, 4, 4, 0, 3, 3, 4, 0, 0, 0, 3])
TOTAL_TIMEOUT_S = 2.0


class NothingListens(Exception):
    """Connection refused: no process holds the port."""


def _read(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while len(data) < 64:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(64)
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
        if len(data) >= 4 and not data.startswith((b"HTTP", b"SSH-", b"<")):
            break
    return data


def _name(data: bytes) -> str:
    if data.startswith(b"HTTP"):
        status = data.split(b"\r\n", 1)[0].decode("ascii", "replace")
        return f"an HTTP server ({status})"
    if data.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "an HTTP server (it answered with an HTML page)"
    if data.startswith(b"SSH-"):
        return "an SSH server"
    return f"a server that answered {data[:16]!r}"


def identify(host: str, port: int, timeout: float = TOTAL_TIMEOUT_S) -> str | None:
    """None when a Bolt server answers on host:port; otherwise what was found there, in words.

    Raises NothingListens when the connection is refused. Takes at most `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout / 2)
    except ConnectionRefusedError:
        raise NothingListens(f"nothing listens on {host}:{port}") from None
    except OSError as e:
        return f"no connection ({e.strerror or e})"
    with sock:
        try:
            sock.sendall(BOLT_MAGIC + BOLT_VERSIONS)
            # A Bolt server answers at once; give a silent peer 60% of the time, then a blank line
            # (an HTTP server waits for the end of its request line before it answers).
            data = _read(sock, min(deadline, time.monotonic() + timeout * 0.6))
            if not data:
                sock.sendall(b"\r\n\r\n")
                data = _read(sock, deadline)
        except OSError:
            return "a listener that closed the connection without answering"
    if not data:
        return f"a listener that does not answer (no reply within {timeout:.0f}s)"
    if len(data) == 4 and not data.startswith((b"HTTP", b"SSH-", b"<")):
        return None  # Bolt: the chosen version (zeros if none of ours: the driver will say so)
    return _name(data)
