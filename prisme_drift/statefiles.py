"""Names of the files in a site's state folder that several stages read or create.

Kept apart (at the bottom of the layers, importing nothing) so that checking a state folder or
printing a site's status needs neither the normalizer nor the SSH stack.
"""

#: The keyed-fingerprint secret (``normalize.secrets``): secrets are replaced by marks made with it.
KEY_FILE = "fingerprint.key"
#: The pinned SSH host keys (``collect.hostkeys``), trust on first use.
KNOWN_HOSTS = "known_hosts"
