"""Fixtures of the cross-distribution tests: the providers' pytest plugins.

Imported by name rather than with ``pytest_plugins``, which pytest allows only in the
rootdir's conftest.
"""

from hexkit.providers.mongodb.testutils import (  # noqa: F401 - fixtures used by name
    mongodb,
    mongodb_driver,
    mongodb_server,
)
from hexkit.providers.postgres.testutils import (  # noqa: F401 - fixtures used by name
    postgres,
    postgres_server,
)
from hexkit.providers.s3.testutils import (  # noqa: F401 - fixtures used by name
    s3,
    s3_cluster,
    s3_server,
)
