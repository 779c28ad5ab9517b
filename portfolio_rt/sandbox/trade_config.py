"""Each account's trade configuration (`GET`/`PATCH …/account/configurations`), and the order
rules it puts on the ledger.

Two settings change what the ledger accepts: `suspend_trade` refuses every new order (403,
Alpaca's "new orders are rejected by user request") and `fractional_trading: false` refuses
fractional and notional orders for stocks and ETFs (422, the messages Alpaca gives an account
without fractional trading: "qty must be integer", "qty is required"). The others are kept and
echoed: the sandbox's accounts are cash accounts without short selling or options, so a
margin multiplier, `no_shorting` or an options level changes nothing they can do. `dtbp_check`
and `pdt_check` (pattern-day-trader checks, which Alpaca retired on 2026-07-06) are validated and
echoed as the trading account's `user_configurations` has always shown them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from .params import invalid
from .records import LedgerError

if TYPE_CHECKING:
    from .order_rules import OrderTerms

DAY_TRADE_CHECKS = ("both", "entry", "exit")
CONFIRM_EMAILS = ("all", "none")
MARGIN_MULTIPLIERS = ("1", "2", "4")
OPTIONS_LEVELS = (0, 1, 2, 3)

CODE_REFUSED = 40310000
CODE_INVALID = 40010001


@dataclass(frozen=True, slots=True)
class TradeConfiguration:
    """Alpaca's `AccountConfigurations`, with the values a new account starts with."""

    dtbp_check: str = "entry"
    trade_confirm_email: str = "all"
    suspend_trade: bool = False
    no_shorting: bool = True
    fractional_trading: bool = True
    max_margin_multiplier: str = "1"
    max_options_trading_level: int = 0
    pdt_check: str = "entry"
    ptp_no_exception_entry: bool = False
    disable_overnight_trading: bool = False

    def json(self) -> dict[str, Any]:
        """The JSON body both routes answer."""
        return asdict(self)


DEFAULT = TradeConfiguration()


def _bool(value: object, name: str) -> bool:
    # The Broker document types ptp_no_exception_entry as a string: "true"/"false" pass too.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid(f"{name} must be true or false")


def _choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise invalid(f"{name} must be one of {', '.join(choices)}")
    return value


def _multiplier(value: object) -> str:
    text = str(value) if isinstance(value, int | Decimal) and not isinstance(value, bool) else value
    if isinstance(text, str):
        text = text.strip()
        if text.endswith(".0"):  # "2.0"
            text = text[:-2]
    return _choice(text, "max_margin_multiplier", MARGIN_MULTIPLIERS)


def _level(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | Decimal)
        or value not in OPTIONS_LEVELS
    ):
        raise invalid("max_options_trading_level must be one of 0, 1, 2, 3")
    return int(value)


def parse_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The settings a PATCH body changes, each validated (422 on a bad value). `null` leaves a
    setting as it is (alpaca-py sends every field, unset ones as `null`); unknown keys are
    ignored, as Alpaca ignores them."""
    parsers: dict[str, Callable[[object], object]] = {
        "dtbp_check": lambda v: _choice(v, "dtbp_check", DAY_TRADE_CHECKS),
        "trade_confirm_email": lambda v: _choice(v, "trade_confirm_email", CONFIRM_EMAILS),
        "suspend_trade": lambda v: _bool(v, "suspend_trade"),
        "no_shorting": lambda v: _bool(v, "no_shorting"),
        "fractional_trading": lambda v: _bool(v, "fractional_trading"),
        "max_margin_multiplier": _multiplier,
        "max_options_trading_level": _level,
        "pdt_check": lambda v: _choice(v, "pdt_check", DAY_TRADE_CHECKS),
        "ptp_no_exception_entry": lambda v: _bool(v, "ptp_no_exception_entry"),
        "disable_overnight_trading": lambda v: _bool(v, "disable_overnight_trading"),
    }
    return {
        name: parse(body[name])
        for name, parse in parsers.items()
        if name in body and body[name] is not None
    }


class TradeConfigs:
    """Every account's configuration; an account never configured has `DEFAULT`."""

    def __init__(self) -> None:
        self._configs: dict[UUID, TradeConfiguration] = {}

    def get(self, account_id: UUID) -> TradeConfiguration:
        return self._configs.get(account_id, DEFAULT)

    def update(self, account_id: UUID, changes: Mapping[str, Any]) -> TradeConfiguration:
        """Apply `parse_changes`' result; answers the whole configuration."""
        updated = replace(self.get(account_id), **changes)
        self._configs[account_id] = updated
        return updated

    def check_order(self, account_id: UUID, terms: OrderTerms) -> None:
        """The ledger's order rule (`Ledger.order_rules`): what the configuration forbids."""
        config = self._configs.get(account_id)
        if config is None:
            return
        if config.suspend_trade:
            raise LedgerError(403, CODE_REFUSED, "new orders are rejected by user request")
        if config.fractional_trading or terms.instrument.asset_class == "crypto":
            return
        if terms.notional is not None:
            raise LedgerError(422, CODE_INVALID, "qty is required")
        if terms.qty is not None and terms.qty != terms.qty.to_integral_value():
            raise LedgerError(422, CODE_INVALID, "qty must be integer")
