"""Recipient banks: the bank accounts wire transfers go to and come from (`…/recipient_banks`),
and the wire transfers made through them.

A bank starts `QUEUED` and is `APPROVED` shortly after, as an ACH relationship is; deleting it
cancels it (`CANCELED`, listed with `status=INACTIVE` only). Each change is a funding event of
entity type `WireBank`. An account has one active recipient bank at a time (Alpaca answers 409
to a second). A domestic bank (`ABA`) has a routing number with a valid check digit and no
address; an international one (`BIC`) has a SWIFT/BIC code and the bank's full address.

A wire transfer is the ledger's transfer of type `wire`: it clears like an ACH transfer and its
cash arrives or leaves as a CSD or CSW activity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from ..core.banking import aba_checksum_ok
from .params import invalid, optional_str, parse_choice, required_str
from .records import LedgerError, TransferRecord, not_found, unprocessable
from .serialize import JSON
from .wire import rfc3339

if TYPE_CHECKING:
    from .ledger import Ledger

CODE_TYPES = ("ABA", "BIC")
ADDRESS_FIELDS = ("country", "state_province", "postal_code", "city", "street_address")
ACTIVE = frozenset({"QUEUED", "APPROVED"})
LIST_STATUSES = ("ACTIVE", "INACTIVE")
MAX_APPROVAL_DELAY = timedelta(minutes=1)
_BIC = re.compile(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?")
_ACCOUNT = re.compile(r"[A-Za-z0-9]+")


@dataclass(slots=True)
class RecipientBankRecord:
    """A recipient bank (Alpaca's `Bank`); the address fields are "" for a domestic bank."""

    id: UUID
    account_id: UUID
    created_at: datetime
    updated_at: datetime
    status: str  # QUEUED -> APPROVED, or CANCELED once deleted
    name: str
    bank_code: str
    bank_code_type: str
    account_number: str
    country: str = ""
    state_province: str = ""
    postal_code: str = ""
    city: str = ""
    street_address: str = ""


def bank_json(record: RecipientBankRecord) -> JSON:
    """`Bank`; Alpaca stamps these times in nanoseconds (alpaca-py's captured answers)."""
    nanos = 1 + record.id.int % 999
    return {
        "id": str(record.id),
        "account_id": str(record.account_id),
        "name": record.name,
        "status": record.status,
        "country": record.country,
        "state_province": record.state_province,
        "postal_code": record.postal_code,
        "city": record.city,
        "street_address": record.street_address,
        "account_number": record.account_number,
        "bank_code": record.bank_code,
        "bank_code_type": record.bank_code_type,
        "created_at": rfc3339(record.created_at, nanos),
        "updated_at": rfc3339(record.updated_at, nanos),
    }


def parse_bank(body: Mapping[str, Any]) -> dict[str, str]:
    """The fields of a `CreateBankRequest`, validated (422 on a bad one)."""
    code_type = parse_choice(required_str(body, "bank_code_type"), "bank_code_type", CODE_TYPES)
    fields = {
        "name": required_str(body, "name", max_length=128).strip(),
        "bank_code_type": code_type,
        "bank_code": required_str(body, "bank_code", max_length=11).strip().upper(),
        "account_number": required_str(body, "account_number", max_length=34).strip(),
    }
    address = {name: optional_str(body, name, max_length=128) for name in ADDRESS_FIELDS}
    number = fields["account_number"]
    if code_type == "ABA":
        if not aba_checksum_ok(fields["bank_code"]):
            raise invalid("bank_code must be a valid 9-digit ABA routing number")
        if not (4 <= len(number) <= 17 and number.isascii() and _ACCOUNT.fullmatch(number)):
            raise invalid("account_number must be 4 to 17 letters or digits")
        for name, value in address.items():
            if value is not None and value.strip():
                raise invalid(f"{name} is only for international (BIC) banks")
        return fields
    if not _BIC.fullmatch(fields["bank_code"]):
        raise invalid("bank_code must be an 8 or 11 character BIC")
    if not (number.isascii() and _ACCOUNT.fullmatch(number)):
        raise invalid("account_number must be letters or digits (an IBAN without spaces)")
    for name, value in address.items():
        if value is None or not value.strip():
            raise invalid(f"{name} is required for international (BIC) banks")
        fields[name] = value.strip()
    if len(fields["postal_code"]) < 3:
        raise invalid("postal_code must be at least 3 characters")
    return fields


class RecipientBanks:
    """Every account's recipient banks; their approval runs on the ledger's clock."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._banks: dict[UUID, list[RecipientBankRecord]] = {}

    def create(self, account_id: UUID, fields: Mapping[str, str]) -> RecipientBankRecord:
        """Link a bank (`parse_bank`'s fields); 409 while another is active."""
        ledger = self._ledger
        ledger.banks(account_id)  # the account's book exists before its work is scheduled
        at = ledger.now()
        banks = self._banks.setdefault(account_id, [])
        if any(bank.status in ACTIVE for bank in banks):
            raise LedgerError(409, 40910000, "a bank relationship already exists for this account")
        record = RecipientBankRecord(
            id=uuid5(account_id, f"recipient_bank:{len(banks) + 1}"),
            account_id=account_id,
            created_at=at,
            updated_at=at,
            status="QUEUED",
            **fields,
        )
        banks.append(record)
        self._event(record, None, at)
        delay = min(ledger.transfer_delay, MAX_APPROVAL_DELAY) / 2
        ledger.schedule_call(at + delay, account_id, lambda when: self._approve(record, when))
        return record

    def banks(
        self, account_id: UUID, status: str | None = None, bank_name: str | None = None
    ) -> list[RecipientBankRecord]:
        """Active banks (`status=INACTIVE`: deleted ones), optionally of one bank name."""
        self._ledger.advance()
        inactive = status == "INACTIVE"
        return [
            bank
            for bank in self._banks.get(account_id, ())
            if (bank.status not in ACTIVE) == inactive
            and (bank_name is None or bank.name.casefold() == bank_name.strip().casefold())
        ]

    def active(self, account_id: UUID, bank_id: UUID) -> RecipientBankRecord:
        """An active bank of the account; 404 otherwise."""
        self._ledger.advance()
        for bank in self._banks.get(account_id, ()):
            if bank.id == bank_id and bank.status in ACTIVE:
                return bank
        raise not_found("bank")

    def delete(self, account_id: UUID, bank_id: UUID) -> None:
        """Cancel an active bank; transfers already made through it stay."""
        bank = self.active(account_id, bank_id)
        at = self._ledger.now()
        was, bank.status, bank.updated_at = bank.status, "CANCELED", at
        self._event(bank, was, at)

    def create_transfer(
        self,
        account_id: UUID,
        *,
        bank_id: UUID,
        amount: Decimal,
        direction: str,
        additional_information: str | None = None,
    ) -> TransferRecord:
        """A wire transfer to or from an active recipient bank (422 for any other id)."""
        try:
            self.active(account_id, bank_id)
        except LedgerError:
            raise unprocessable("bank_id does not match a recipient bank") from None
        return self._ledger.create_transfer(
            account_id,
            relationship_id=bank_id,
            amount=amount,
            direction=direction,
            transfer_type="wire",
            additional_information=additional_information,
        )

    def _approve(self, bank: RecipientBankRecord, at: datetime) -> None:
        if bank.status == "QUEUED":
            bank.status, bank.updated_at = "APPROVED", at
            self._event(bank, "QUEUED", at)

    def _event(self, bank: RecipientBankRecord, status_from: str | None, at: datetime) -> None:
        body = {
            "entity_type": "WireBank",
            "entity_id": bank.id,
            "status_from": status_from,
            "status_to": bank.status,
        }
        self._ledger.events.record("funding", at, bank.account_id, body)
