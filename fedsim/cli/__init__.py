"""The ``fedsim`` command line."""
