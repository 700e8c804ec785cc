"""Refuse any network access but loopback, for tests that must never reach the internet."""

from __future__ import annotations

import socket
from typing import Any


def block_non_loopback(monkeypatch: Any = None) -> None:
    """Make any socket connection to a non-loopback address fail (tests must never go online).

    With a pytest ``monkeypatch`` the patch is undone after the test; without, it lasts for the
    process (for subprocesses started by tests).
    """
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo
    loopback = ("127.0.0.1", "::1", "localhost")

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in loopback and host not in (None, ""):
            raise OSError(f"test tried to resolve a network name: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if sock.family in (socket.AF_INET, socket.AF_INET6) and host not in loopback:
            raise OSError(f"test tried to reach the network: {address!r}")
        return real_connect(sock, address)

    patch = monkeypatch.setattr if monkeypatch is not None else setattr
    patch(socket.socket, "connect", connect)
    patch(socket, "getaddrinfo", getaddrinfo)
