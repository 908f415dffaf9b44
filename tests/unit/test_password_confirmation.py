"""The password-confirmation rule of the setup and sign-up screens lives in `account_service`."""

from __future__ import annotations

import pytest

from backend.accounts import account_service
from backend.errors import ValidationError


def test_two_different_passwords_are_refused_under_the_repeated_field():
    with pytest.raises(ValidationError) as refused:
        account_service.check_password_confirmation("a long password", "another password")
    assert refused.value.field_errors == {"password_again": "The two passwords differ."}


def test_the_same_password_twice_passes():
    account_service.check_password_confirmation("a long password", "a long password")
