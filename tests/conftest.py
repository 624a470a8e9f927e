"""Test-wide settings: Qt renders offscreen so the suite runs without a display."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import HealthCheck, settings  # noqa: E402

# CI machines are small and noisy: judge properties by their examples, never by their speed.
settings.register_profile(
    "burrdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.load_profile("burrdesk")
