"""The fleet: a site's copy of its state on the provider's central database and git server."""
