"""The upload controller: hands clients multipart upload URLs for announced files."""
