"""The code tables of US stock market data: exchanges, and trade and quote conditions by tape.

What `/v2/stocks/meta/exchanges` and `/v2/stocks/meta/conditions/{ticktype}` answer, so a
client can name every code the sandbox's trades, quotes and auctions carry. The exchange names
are Alpaca's; the conditions are the consolidated tapes' (CTA for tapes A and B, UTP for C).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

EXCHANGES: Final = MappingProxyType(
    {
        "A": "NYSE American (AMEX)",
        "B": "NASDAQ OMX BX",
        "C": "National Stock Exchange",
        "D": "FINRA ADF",
        "E": "Market Independent",
        "H": "MIAX",
        "I": "International Securities Exchange",
        "J": "Cboe EDGA",
        "K": "Cboe EDGX",
        "L": "Long Term Stock Exchange",
        "M": "Chicago Stock Exchange",
        "N": "New York Stock Exchange",
        "P": "NYSE Arca",
        "Q": "NASDAQ OMX",
        "S": "NASDAQ Small Cap",
        "T": "NASDAQ Int",
        "U": "Members Exchange",
        "V": "IEX",
        "W": "CBOE",
        "X": "NASDAQ OMX PSX",
        "Y": "Cboe BYX",
        "Z": "Cboe BZX",
    }
)

_CTA_TRADE: Final = {
    "@": "Regular Sale",
    "B": "Average Price Trade",
    "C": "Cash Trade (Same Day Clearing)",
    "E": "Automatic Execution",
    "F": "Intermarket Sweep Order",
    "H": "Price Variation Trade",
    "I": "Odd Lot Trade",
    "K": "Rule 127 (NYSE only) or Rule 155 (NYSE MKT only)",
    "L": "Sold Last (Late Reporting)",
    "M": "Market Center Official Close",
    "N": "Next Day Trade (Next Day Clearing)",
    "O": "Market Center Opening Trade",
    "P": "Prior Reference Price",
    "Q": "Market Center Official Open",
    "R": "Seller",
    "T": "Extended Hours Trade",
    "U": "Extended Hours Sold (Out Of Sequence)",
    "V": "Contingent Trade",
    "X": "Cross Trade",
    "Z": "Sold (Out Of Sequence)",
    "4": "Derivatively Priced",
    "5": "Market Center Reopening Trade",
    "6": "Market Center Closing Trade",
    "7": "Qualified Contingent Trade",
    "9": "Corrected Consolidated Close Price as per Listing Market",
}

_UTP_TRADE: Final = {
    "@": "Regular Sale",
    "A": "Acquisition",
    "B": "Bunched Trade",
    "C": "Cash Sale",
    "D": "Distribution",
    "F": "Intermarket Sweep",
    "G": "Bunched Sold Trade",
    "H": "Price Variation Trade",
    "I": "Odd Lot Trade",
    "K": "Rule 155 Trade (AMEX)",
    "L": "Sold Last",
    "M": "Market Center Official Close",
    "N": "Next Day",
    "O": "Opening Prints",
    "P": "Prior Reference Price",
    "Q": "Market Center Official Open",
    "R": "Seller",
    "S": "Split Trade",
    "T": "Form T",
    "U": "Extended Trading Hours (Sold Out of Sequence)",
    "V": "Contingent Trade",
    "W": "Average Price Trade",
    "X": "Cross/Periodic Auction Trade",
    "Y": "Yellow Flag Regular Trade",
    "Z": "Sold (Out of Sequence)",
    "1": "Stopped Stock (Regular Trade)",
    "4": "Derivatively Priced",
    "5": "Re-Opening Prints",
    "6": "Closing Prints",
    "7": "Qualified Contingent Trade (QCT)",
    "8": "Placeholder For 611 Exempt",
    "9": "Corrected Consolidated Close (Per Listing Market)",
}

_CTA_QUOTE: Final = {
    "A": "Slow Quote Offer Side",
    "B": "Slow Quote Bid Side",
    "C": "Closing",
    "D": "News Dissemination",
    "E": "Slow Quote LRP Bid Side",
    "F": "Fast Trading",
    "G": "Trading Range Indication",
    "H": "Slow Quote Bid And Offer Sides",
    "I": "Order Imbalance",
    "J": "Due To Related - News Dissemination",
    "K": "Due To Related - News Pending",
    "L": "Closed Market Maker",
    "M": "Additional Information",
    "N": "Non Firm Quote",
    "O": "Opening Quote",
    "P": "News Pending",
    "Q": "Additional Information - Due To Related",
    "R": "Regular, Two-Sided Open Quote",
    "S": "Due To Related",
    "T": "Resume",
    "U": "Slow Quote Bid And Offer Sides (LRP or Gap)",
    "V": "In View Of Common",
    "W": "Slow Quote Set Slow List",
    "X": "Equipment Changeover",
    "Y": "Sub-Penny Trading",
    "Z": "No Open / No Resume",
    "4": "On Demand Intra Day Auction",
}

_UTP_QUOTE: Final = {
    "A": "Manual Ask Automated Bid",
    "B": "Manual Bid Automated Ask",
    "F": "Fast Trading",
    "H": "Manual Bid And Ask",
    "I": "Order Imbalance",
    "L": "Closed Quote",
    "N": "Non Firm Quote",
    "O": "Opening Quote Automated",
    "R": "Regular, Two-Sided Open Quote",
    "U": "Manual Bid And Ask (Non Firm)",
    "Y": "No Offer, No Bid, One-Sided Automated",
    "X": "Order Influx",
    "Z": "No Open / No Resume",
    "4": "On Demand Intra Day Auction",
}

TICK_TYPES: Final = ("trade", "quote")
TAPES: Final = ("A", "B", "C")


def conditions(tick_type: str, tape: str) -> MappingProxyType[str, str]:
    """The condition codes of a tick type ("trade" or "quote") on a tape ("A", "B" or "C")."""
    utp = tape == "C"
    if tick_type == "trade":
        return MappingProxyType(_UTP_TRADE if utp else _CTA_TRADE)
    return MappingProxyType(_UTP_QUOTE if utp else _CTA_QUOTE)
