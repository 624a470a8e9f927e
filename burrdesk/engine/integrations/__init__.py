"""Integrations with other libraries, at the paths Burr's `burr.integrations` uses."""
