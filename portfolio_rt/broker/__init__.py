"""The async gateway to Alpaca: endpoints, REST client, models, errors and caching."""
