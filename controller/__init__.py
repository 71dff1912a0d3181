"""micronf controller."""
