"""The one exception family the product raises for bad input or an undeployable group."""


class VmcpError(Exception):
    """A problem the user must fix; the message says what, where, and how."""
