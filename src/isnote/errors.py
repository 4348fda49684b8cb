"""Errors raised on bad input, shaped so that a person can fix the file without a traceback."""

from __future__ import annotations


class IsnoteError(Exception):
    """Base class of the errors isnote reports to the user (printed without a traceback)."""


class InputError(IsnoteError):
    """A problem in an input file: names the file, the row, the column and what was expected.

    `row` is the 1-based line number in the file as a spreadsheet or text editor shows it
    (the header is line 1), or None when the problem concerns the whole file or a column.
    """

    def __init__(self, file, message: str, *, row: int | None = None, column: str | None = None,
                 expected: str | None = None, value: object = None, more: int = 0):
        self.file = str(file)
        self.row = row
        self.column = column
        self.expected = expected
        self.value = value
        self.more = more
        super().__init__(self.render(message))

    def render(self, message: str) -> str:
        where = [f"fichier {self.file}"]
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        text = f"{', '.join(where)} : {message}"
        if self.value is not None:
            text += f" (valeur lue : {self.value!r})"
        if self.expected:
            text += f" ; attendu : {self.expected}"
        if self.more:
            text += f" ; et {self.more} autre(s) ligne(s) dans le même cas"
        return text


class ConsistencyError(IsnoteError):
    """A computed table disagrees with another one or with its own totals."""


class ReviewConflictError(IsnoteError):
    """An import would change decisions already recorded in the review register."""
