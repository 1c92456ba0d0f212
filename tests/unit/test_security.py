import pytest

from trainer.security import is_safe_next, password_problem


@pytest.mark.parametrize("target", ["/", "/courses/", "/laws/行政处罚法/33?x=1"])
def test_local_next_is_safe(target):
    """Local paths are accepted as post-login redirects."""
    assert is_safe_next(target)


@pytest.mark.parametrize("target", ["", None, "http://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "https:/evil", "javascript:alert(1)", "courses"])
def test_foreign_next_is_refused(target):
    """Absolute, protocol-relative and non-path redirects are refused."""
    assert not is_safe_next(target)


@pytest.mark.parametrize("pw,ok", [("Abcd1234", True), ("short1", False), ("12345678", False),
                                    ("abcdefgh", False)])
def test_password_rules(pw, ok):
    """Passwords need 8+ characters with letters and digits."""
    assert (password_problem(pw) is None) == ok


def test_password_not_login():
    """A password equal to the 工号 is refused."""
    assert password_problem("abc12345", "abc12345") is not None
