"""Joining a WAMP realm with python3-autobahn on asyncio, as the OCS peers do.

`await join(url, realm, serializer)` returns a joined ApplicationSession with
`.left` (a future resolved with CloseDetails when the session ends) and
`.close()` (GOODBYE, then the transport is closed).
"""

import asyncio
import urllib.parse

import txaio
txaio.use_asyncio()  # noqa: E402

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.serializer import JsonSerializer, MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

SERIALIZERS = {"msgpack": MsgPackSerializer, "json": JsonSerializer}


class PeerSession(ApplicationSession):
    def __init__(self, config, joined, left):
        super().__init__(config)
        self._joined_future = joined
        self.left = left
        self._transport_handle = None

    def onJoin(self, details):
        if not self._joined_future.done():
            self._joined_future.set_result(self)

    def onLeave(self, details):
        if not self.left.done():
            self.left.set_result(details)
        if not self._joined_future.done():
            self._joined_future.set_exception(
                RuntimeError("could not join: %s %s" % (details.reason, details.message)))
        self.disconnect()

    async def close(self, timeout=5):
        if self.is_attached():
            self.leave()
        try:
            await asyncio.wait_for(asyncio.shield(self.left), timeout)
        except asyncio.TimeoutError:
            pass
        if self._transport_handle is not None:
            self._transport_handle.close()


async def join(url, realm, serializer="msgpack", timeout=10):
    """Connects to ws://host:port/path and joins `realm`."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "ws":
        raise ValueError("only ws:// URLs are supported: %s" % url)
    loop = asyncio.get_running_loop()
    joined, left = loop.create_future(), loop.create_future()
    factory = WampWebSocketClientFactory(
        lambda: PeerSession(ComponentConfig(realm), joined, left),
        url=url, serializers=[SERIALIZERS[serializer]()])
    transport, _ = await loop.create_connection(factory, parsed.hostname, parsed.port or 80)
    try:
        session = await asyncio.wait_for(asyncio.shield(joined), timeout)
    except BaseException:
        transport.close()
        raise
    session._transport_handle = transport
    return session
