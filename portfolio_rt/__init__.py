"""portfolio_rt: the portfolio page of a retail investing app on the Alpaca Broker API."""

__version__ = "0.1.0"
