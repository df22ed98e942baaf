"""Rotating the master key: every data key re-wrapped under the new one, so that once the old
one is destroyed, an old copy of a wrapped key (a backup of the key store) opens nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from application.app import CareLedger
from application.customers import ERASED_CONTACT, ContactDetails
from application.master_keys import (
    MasterKeys,
    UnknownMasterKeyError,
    WrongMasterKeyError,
    key_id,
)
from application.settings import Settings
from tests.application.builders import CONTACT, customer
from tests.application.key_rows import wrapped_keys
from tests.support import meta

OLD = b"k" * 32  # tests/backends.py's master key
NEW = AESGCM.generate_key(bit_length=256)
OTHER = ContactDetails(name="Wang Fang", phone="139 0000 0001", email="wang@example.com")


def test_rotation_rewraps_every_key_and_an_old_copy_opens_nothing_without_the_old_key(
    settings: Settings,
) -> None:
    # given a customer, an erased one, and a copy of the key store taken then (a backup)
    with CareLedger(settings) as app:
        kept = customer(app)
        erased = app.register_customer(meta(command_id="two"), OTHER).aggregate_id
        app.erase_customer(meta(command_id="erase"), erased)
        backup = wrapped_keys(app)
    assert str(kept) in backup and str(erased) not in backup
    # when the service runs under a new master key with the old one as previous, and rotates
    during = replace(settings, master_key=NEW, previous_master_keys=(OLD,))
    with CareLedger(during) as app:
        assert app.contact_of(kept) == CONTACT  # still wrapped by the old key: it opens
        assert app.keys.census().wrapped_by == {key_id(OLD): len(backup)}
        assert app.keys.rotate() == len(backup)
        census = app.keys.census()
        assert census.wrapped_by == {key_id(NEW): len(backup)}
        assert census.destroyed == 1
        assert app.keys.rotate() == 0
    # then, the old master key destroyed, the service reads and finds the customer as before
    after = replace(settings, master_key=NEW, previous_master_keys=())
    with CareLedger(after) as app:
        assert app.contact_of(kept) == CONTACT
        assert app.contact_of(erased) == ERASED_CONTACT
        assert app.contact_index.find(CONTACT.phone) == [kept]
        assert app.contact_index.find("wang@example.com") == []
        rewrapped = wrapped_keys(app)
    # and the backup's wrapping, which the old key opened, opens under nothing it has left
    old_copy = backup[str(kept)]
    assert rewrapped[str(kept)] != old_copy
    assert MasterKeys(OLD).unwrap(str(kept), old_copy, key_id(OLD))
    with pytest.raises(UnknownMasterKeyError):
        MasterKeys(NEW).unwrap(str(kept), old_copy, key_id(OLD))
    with pytest.raises(WrongMasterKeyError):
        MasterKeys(NEW).unwrap(str(kept), old_copy, None)


def test_keys_made_during_a_rotation_are_wrapped_by_the_new_key(settings: Settings) -> None:
    with CareLedger(settings) as app:
        first = customer(app)
    during = replace(settings, master_key=NEW, previous_master_keys=(OLD,))
    with CareLedger(during) as app:
        second = app.register_customer(meta(command_id="two"), OTHER).aggregate_id
        # the index's key and the first customer's under the old key, the second's under the new
        assert app.keys.census().wrapped_by == {key_id(OLD): 2, key_id(NEW): 1}
        assert app.contact_index.find(OTHER.phone) == [second]
        assert app.contact_index.find(CONTACT.phone) == [first]


def test_a_store_with_keys_under_a_master_key_not_given_refuses_to_start(
    settings: Settings,
) -> None:
    # given keys wrapped by the old master key
    with CareLedger(settings) as app:
        customer(app)
    # when the service starts with only a new one, the old one not listed as previous
    with pytest.raises(UnknownMasterKeyError) as refused:
        CareLedger(replace(settings, master_key=NEW)).close()
    # then it names the master key it lacks, and nothing changed
    assert refused.value.key_ids == (key_id(OLD),)
    with CareLedger(settings) as app:
        assert app.keys.census().wrapped_by == {key_id(OLD): 2}


def test_the_master_key_id_says_nothing_of_the_key() -> None:
    assert key_id(OLD) != key_id(NEW)
    assert len(key_id(OLD)) == 16
    assert OLD.hex()[:16] != key_id(OLD)


def test_a_key_erased_while_a_rotation_rewraps_it_stays_erased(settings: Settings) -> None:
    # given a customer, and a rotation that has read their key's wrapping and re-wrapped it
    with CareLedger(settings) as app:
        erased = customer(app)
    during = replace(settings, master_key=NEW, previous_master_keys=(OLD,))
    with CareLedger(during) as app:
        keys = app.keys
        read = keys._wrapped_elsewhere(key_id(NEW), 10)
        changes = [(s, k, keys.masters.wrap(s, keys._opened(s, k))) for s, k in read]
        assert str(erased) in {subject for subject, _, _ in changes}
        # when the customer is erased before the rotation writes
        app.erase_customer(meta(command_id="erase"), erased)
        # then the write replaces only the wrapping it read (the index key's), not the erasure
        assert keys._rewrap(changes, key_id(NEW)) == 1
        assert app.contact_of(erased) == ERASED_CONTACT
        assert keys.census().destroyed == 1
