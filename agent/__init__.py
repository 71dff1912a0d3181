"""micronf agent."""
