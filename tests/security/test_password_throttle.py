"""Guessing the app password is slow: after each wrong try the same client waits 1 s, 2 s, 4 s, … up to 30 s, and a
try during the wait is refused before the password is compared, whichever session or thread it comes from."""

from __future__ import annotations

import threading

import pytest

from usecases import USER_ERRORS, password
from usecases.password import TooManyAttempts, check_password

SECRET = "correct horse battery staple"
T0 = 1000.0  # a time.monotonic() value


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PASSWORD", SECRET)
    monkeypatch.setattr(password, "_failures", {})


def _refused(given: str, client: str, now: float) -> str:
    with pytest.raises(TooManyAttempts) as refusal:
        check_password(given, client=client, now=now)
    return str(refusal.value)


def test_the_right_password_opens_and_a_wrong_one_does_not():
    assert check_password(SECRET, client="10.0.0.1", now=T0) is True
    assert check_password(SECRET + " ", client="10.0.0.2", now=T0) is False
    assert check_password("", client="10.0.0.3", now=T0) is False


def test_each_wrong_try_doubles_the_wait_up_to_30_seconds():
    now = T0
    for wait in (1, 2, 4, 8, 16, 30, 30, 30):
        assert check_password("guess", client="10.0.0.1", now=now) is False
        assert _refused("guess", "10.0.0.1", now) == f"Too many wrong passwords. Wait {wait} s, then try again."
        assert _refused("guess", "10.0.0.1", now + wait - 0.01) == "Too many wrong passwords. Wait 1 s, then try again."
        now += wait  # the first moment the next try is heard


def test_during_the_wait_even_the_right_password_is_refused_and_the_wait_does_not_grow():
    check_password("guess", client="10.0.0.1", now=T0)
    check_password("guess", client="10.0.0.1", now=T0 + 1)  # second wrong try: wait 2 s
    assert _refused(SECRET, "10.0.0.1", T0 + 1.5) == "Too many wrong passwords. Wait 2 s, then try again."
    assert _refused("guess", "10.0.0.1", T0 + 2.5) == "Too many wrong passwords. Wait 1 s, then try again."
    assert check_password(SECRET, client="10.0.0.1", now=T0 + 3) is True
    assert isinstance(TooManyAttempts("x"), USER_ERRORS)  # pages show its message, like other user errors


def test_the_right_password_clears_the_wait_and_clients_wait_apart():
    check_password("guess", client="10.0.0.1", now=T0)
    assert check_password(SECRET, client="10.0.0.2", now=T0) is True  # another client is not held up
    assert check_password(SECRET, client="10.0.0.1", now=T0 + 1) is True
    assert check_password("guess", client="10.0.0.1", now=T0 + 1) is False
    assert _refused("guess", "10.0.0.1", T0 + 1) == "Too many wrong passwords. Wait 1 s, then try again."


def test_parallel_tries_of_one_client_get_one_guess():
    results: list[object] = []

    def attempt() -> None:
        try:
            results.append(check_password("guess", client="10.0.0.1", now=T0))
        except TooManyAttempts:
            results.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)) == ["False"] + ["refused"] * 7


def test_a_client_quiet_for_15_minutes_starts_again_from_1_second():
    now = T0
    for wait in (1, 2, 4, 8):
        check_password("guess", client="10.0.0.1", now=now)
        now += wait
    later = now + 15 * 60 + 1
    check_password("guess", client="10.0.0.2", now=later)  # a wrong try anywhere forgets quiet clients
    assert check_password("guess", client="10.0.0.1", now=later) is False
    assert _refused("guess", "10.0.0.1", later) == "Too many wrong passwords. Wait 1 s, then try again."


def test_no_password_set_opens_nothing(monkeypatch):
    monkeypatch.setenv("WORKBENCH_PASSWORD", "")
    assert password.password_required() is False
    assert check_password("", client="10.0.0.1", now=T0) is False


def test_the_comparison_is_constant_time(monkeypatch):
    compared = []
    real = password.hmac.compare_digest
    monkeypatch.setattr(password.hmac, "compare_digest", lambda a, b: compared.append((len(a), len(b))) or real(a, b))
    check_password("short", client="10.0.0.1", now=T0)
    assert compared == [(32, 32)]  # sha256 digests: the time depends on neither password's length
