"""micronf dataplane."""
