from __future__ import annotations

from pathlib import Path

import pytest

from application.app import CONTACT_INDEX_SUBJECT, CareLedger
from application.contact_index import normal_email, normal_phone
from application.customers import ContactDetails
from application.errors import DatabaseUnavailableError, OutcomeUnknownError
from tests.application.builders import CONTACT, customer
from tests.application.test_privacy import own_server, raw_bytes
from tests.support import CUSTOMER, meta


@pytest.mark.parametrize(
    "typed",
    ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000", "8613800138000", "013800138000"],
)
def test_phone_variants_normalise_alike(typed: str) -> None:
    assert normal_phone(typed) == "13800138000"


def test_other_numbers_keep_their_digits_and_emails_are_lowercased() -> None:
    assert normal_phone("+1 (415) 555-0100") == "14155550100"
    assert normal_phone("no digits") is None
    assert normal_email("  Li.Wei@Example.COM ") == "li.wei@example.com"
    assert normal_email("not an address") is None


def test_a_customer_is_found_by_phone_and_email_as_an_agent_types_them(app: CareLedger) -> None:
    # given a registered customer, and another one
    found = customer(app)
    other = app.register_customer(
        meta(command_id="other"), ContactDetails(name="Wang", phone="139 0000 0001")
    ).aggregate_id
    # then the phone in any usual spelling, and the e-mail in any case, find only them
    for typed in ("138 0013 8000", "+8613800138000", " LI.WEI@example.com "):
        assert app.contact_index.find(typed) == [found], typed
    assert app.contact_index.find("13900000001") == [other]


def test_unknown_contacts_find_nobody(app: CareLedger) -> None:
    customer(app)
    assert app.contact_index.find("138 0013 8001") == []
    assert app.contact_index.find("li.wei@example.org") == []
    assert app.contact_index.find("---") == []


def test_a_changed_contact_is_found_by_its_new_phone_only(app: CareLedger) -> None:
    customer_id = customer(app)
    new = ContactDetails(name="Li Wei", phone="137 1111 2222", email=None)
    app.change_contact(meta(command_id="change"), customer_id, new)
    assert app.contact_index.find("13711112222") == [customer_id]
    assert app.contact_index.find(CONTACT.phone) == []
    assert app.contact_index.find("li.wei@example.com") == []


def test_erasure_removes_the_index_entries(app: CareLedger) -> None:
    # given a customer found by phone and e-mail
    customer_id = customer(app)
    assert app.contact_index.find(CONTACT.phone) == [customer_id]
    # when they are erased
    app.erase_customer(meta(command_id="erase"), customer_id)
    # then neither finds them any more
    assert app.contact_index.find(CONTACT.phone) == []
    assert app.contact_index.find("li.wei@example.com") == []


@pytest.mark.own_server
def test_the_index_holds_no_plaintext(
    app: CareLedger, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    # given an indexed customer
    customer(app)
    server = own_server(request, backend)
    # when we read every byte the store holds, the index included
    dump = raw_bytes(app, tmp_path, server)
    # then neither the normalised phone nor the e-mail shows, as text or hex
    assert app.contact_index.digests(CONTACT.phone, None)[0].encode() in dump
    for secret in ("13800138000", "li.wei@example.com", "0013 8000"):
        assert secret.encode() not in dump, secret
        assert secret.encode().hex().encode() not in dump, secret


def test_the_index_key_is_its_own(app: CareLedger) -> None:
    # derived from the master key at first, and kept in the key store, it is neither that key
    # nor a customer's data key
    key = app.keys.key_for(CONTACT_INDEX_SUBJECT)
    customer_id = customer(app)
    assert key == app.settings.derived_contact_index_key()
    assert key not in (app.settings.resolved_master_key(), app.keys.key_for(str(customer_id)))
    assert len(key) == 32


def test_an_outage_after_the_commit_is_an_unknown_outcome_and_the_retry_indexes(
    app: CareLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the database goes away just after a registration's events are committed, before
    # its contact is indexed
    index = app.contact_index

    def away(*_: object) -> None:
        raise DatabaseUnavailableError("the database went away")

    monkeypatch.setattr(index, "_replace", away)
    first = meta(actor=CUSTOMER, command_id="register-once")
    # then the command answers that its outcome is unknown, not that nothing was recorded
    with pytest.raises(OutcomeUnknownError):
        app.register_customer(first, CONTACT)
    assert index.find(CONTACT.phone) == []
    # and once the database is back, the retry with the same id answers from the receipt and
    # indexes the customer it registered
    monkeypatch.undo()
    again = app.register_customer(first, CONTACT)
    assert again.replayed
    assert index.find(CONTACT.phone) == [again.aggregate_id]


def test_a_repeated_registration_indexes_the_contact_as_it_is_now(app: CareLedger) -> None:
    # given a registration, then a change of phone
    first = meta(actor=CUSTOMER, command_id="register-then-change")
    customer_id = app.register_customer(first, CONTACT).aggregate_id
    new = ContactDetails(name="Li Wei", phone="137 1111 2222", email=None)
    app.change_contact(meta(command_id="change-phone"), customer_id, new)
    # when the registration is sent again (a client's late retry)
    assert app.register_customer(first, CONTACT).replayed
    # then the index still holds the new phone, not the one the registration gave
    assert app.contact_index.find("13711112222") == [customer_id]
    assert app.contact_index.find(CONTACT.phone) == []
