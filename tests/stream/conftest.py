"""Stream tests reuse the live-service fixtures (a quiet sandbox and the service on it)."""

from tests.realtime.conftest import live, live_sandbox

__all__ = ["live", "live_sandbox"]
