"""The PostgreSQL fixtures of hexkit-postgres, enabled the way users enable them."""

pytest_plugins = ["hexkit.providers.postgres.testutils"]
