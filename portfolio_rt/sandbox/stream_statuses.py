"""Trading status messages (`"T":"s"`) of the stock stream, with Alpaca's codes.

Alpaca passes on the SIPs' security status codes, which differ by tape: the CTA plan's (tapes A
and B: `2` Trading Halt, `3` Resume, ...) and the UTP plan's (tapes C and O: `H` Trading Halt,
`Q` Quotation Resumption, `T` Trading Resumption, `P` Volatility Trading Pause). The sandbox has
no halts: a symbol is trading while its market is open, and its status is the plan's resumption
code, sent when a session opens and to a new subscriber. Neither plan has a code for a session's
close, so nothing is sent then. Reason fields are empty strings: alpaca-py's `TradingStatus`
needs them present.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from .stream_codec import Wire

CTA_CODES: Final = {"2": "Trading Halt", "3": "Resume"}
"""Security status codes of tapes A and B (the ones the sandbox can send)."""
UTP_CODES: Final = {"H": "Trading Halt", "Q": "Quotation Resumption", "T": "Trading Resumption"}
"""Security status codes of tapes C and O (the ones the sandbox can send)."""


def trading_code(tape: str) -> tuple[str, str]:
    """The (code, message) saying a symbol of `tape` trades: Resume or Trading Resumption."""
    if tape in ("C", "O"):
        return "T", UTP_CODES["T"]
    return "3", CTA_CODES["3"]


def trading_status(symbol: str, tape: str, t: datetime) -> Wire:
    """`{"T":"s",…}`: `symbol` is trading since `t`."""
    code, message = trading_code(tape)
    return {
        "T": "s",
        "S": symbol,
        "sc": code,
        "sm": message,
        "rc": "",
        "rm": "",
        "t": t,
        "z": tape,
    }


__all__ = ["CTA_CODES", "UTP_CODES", "trading_code", "trading_status"]
