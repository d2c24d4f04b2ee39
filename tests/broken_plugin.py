"""A plugin module that fails to import, as one with a missing dependency does."""

import provcheck_dependency_that_is_not_installed  # noqa: F401
