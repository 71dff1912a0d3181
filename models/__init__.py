"""micronf models."""
