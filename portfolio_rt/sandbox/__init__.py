"""An offline, Alpaca-compatible broker, market-data API and market-data stream.

The real alpaca-py clients work against it unchanged (`url_override`). The service uses it
in-process when no Alpaca credentials are configured; `python -m portfolio_rt.sandbox` runs
it on its own.
"""
