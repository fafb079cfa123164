"""State kept per account beside the messages: made on first use, cleared by a reset, dropped with the account,
restored from `--db`, and every change announced per account, so persistence rewrites only that account's row.
The template/sign catalogue and the short URLs are each one of these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

BookT = TypeVar("BookT")


class AccountBooks(Generic[BookT]):
    def __init__(self, new_book: Callable[[str], BookT]) -> None:
        self._new_book = new_book
        self._books: dict[str, BookT] = {}
        self._changed: list[Callable[[str], None]] = []

    def book(self, account: str) -> BookT:
        book = self._books.get(account)
        if book is None:
            book = self._books[account] = self._new_book(account)
        return book

    def accounts(self) -> list[str]:
        return list(self._books)

    def clear(self) -> None:
        """Every account's book goes (a reset); the next use starts a fresh one."""
        self._books.clear()

    def forget_account(self, account: str) -> None:
        self._books.pop(account, None)
        self._touch(account)

    def restore_book(self, account: str, book: BookT) -> None:
        self._books[account] = book

    def on_change(self, hook: Callable[[str], None]) -> None:
        """Persistence follows changes per account through this."""
        self._changed.append(hook)

    def _touch(self, account: str) -> None:
        for hook in self._changed:
            hook(account)
