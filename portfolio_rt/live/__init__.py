"""Live values: price map, holdings index, revaluation, the WebSocket hub and the Redis bus.

A tick costs O(1) (store the price, mark the symbol dirty); once per push interval only the
connected accounts that hold a dirty symbol are revalued and pushed.
"""
