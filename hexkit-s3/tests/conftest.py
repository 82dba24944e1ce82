"""The S3 fixtures of hexkit-s3, enabled the way users enable them."""

pytest_plugins = ["hexkit.providers.s3.testutils"]
