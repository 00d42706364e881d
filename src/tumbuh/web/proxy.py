"""The client's address and scheme behind a reverse proxy, believed only from trusted proxies.

`X-Forwarded-For` and `X-Forwarded-Proto` are set by whoever sends the request. Only when the
connection comes from an address in TUMBUH_TRUSTED_PROXIES are they read, and then the
client is the right-most address in `X-Forwarded-For` that is not itself a trusted proxy
(the left-most ones can be written by the client). Without trusted proxies both headers are
ignored and the connecting address is the client.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network


def _parse(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def forwarded_client(
    peer: str, forwarded_for: str | None, trusted: Sequence[Network]
) -> str:
    """The client address for a connection from `peer` carrying `forwarded_for`."""

    if not forwarded_for or not _is_trusted(_parse(peer), trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        addr = _parse(hop)
        if addr is None:
            return peer  # a malformed hop: the proxy's own address is all we know
        if not _is_trusted(addr, trusted):
            return str(addr)
    return peer


class TrustedProxyMiddleware:
    """Rewrites the ASGI scope's client and scheme from trusted proxies' headers."""

    def __init__(self, app: ASGIApp, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if (
            scope["type"] in ("http", "websocket")
            and client
            and _is_trusted(_parse(str(client[0])), self.trusted)
        ):
            headers = {
                k: v.decode("latin-1")
                for k, v in scope["headers"]
                if k in (b"x-forwarded-for", b"x-forwarded-proto")
            }
            peer = str(client[0])
            real = forwarded_client(peer, headers.get(b"x-forwarded-for"), self.trusted)
            proto = headers.get(b"x-forwarded-proto", "").split(",")[-1].strip().lower()
            scope = dict(scope)
            scope["client"] = (real, client[1] if real == peer else 0)
            if proto in ("http", "https"):
                scope["scheme"] = proto
        await self.app(scope, receive, send)


def _is_trusted(
    addr: IPv4Address | IPv6Address | None, trusted: Sequence[Network]
) -> bool:
    return addr is not None and any(addr in net for net in trusted)
