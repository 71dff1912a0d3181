"""Builds the data plane's cffi extension; everything else is in pyproject.toml."""

from setuptools import setup

setup(cffi_modules=["dataplane/build_ffi.py:ffibuilder"])
