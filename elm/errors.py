"""The one exception type for problems a user can fix (bad params, bad input, unwritable output)."""


class ElmError(Exception):
    """A problem with the user's params, inputs or outputs. The message says what, where and the fix."""
