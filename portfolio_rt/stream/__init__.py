"""The Alpaca market-data stream reader: one websocket per endpoint, managed on aiohttp's client.

Connect, authenticate, subscribe by diff, decode (msgpack or JSON), reconnect with jittered
backoff, and hand every decoded frame to the price map in one synchronous call.
"""
