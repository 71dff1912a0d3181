"""The micronf command line: argument parsing, output and exit codes (the top layer)."""
