"""Helpers for the browser tests."""


def log_in(page, login: str, password: str = "Demo1234") -> None:
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("button[type=submit]")
