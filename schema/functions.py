"""Expected failures of functions (teams), each carrying the function's name.

The function shape (``TeamFunction``) is in ``schema/models.py``.
"""

from __future__ import annotations

from schema.errors import BadInput, Conflict, NotFound


class UnknownFunction(NotFound):
    """No function has this name; ``valid_names`` are those that exist."""

    def __init__(self, name: str, valid_names: tuple[str, ...]) -> None:
        super().__init__("function", name)
        # Whoever mistyped a name needs the right ones, wherever the message is shown.
        self.message = f"{self.message}; the functions are {', '.join(valid_names)}"
        self.args = (self.message,)
        self.name = name
        self.valid_names = valid_names


class InvalidFunctionName(BadInput):
    """A new function's name breaks the naming rule (``graph.functions.FUNCTION_NAME``)."""

    def __init__(self, name: str) -> None:
        super().__init__(
            "a function name is 1-40 characters of lower-case letters, digits, '-' or '_', "
            "starting with a letter"
        )
        self.name = name


class FunctionExists(Conflict):
    """A function with this name already exists."""

    def __init__(self, name: str) -> None:
        super().__init__(f"function {name!r} already exists")
        self.name = name
