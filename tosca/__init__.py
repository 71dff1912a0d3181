"""micronf tosca."""
