"""Guards the PySide6 pin: 6.12.0 leaks a reference to None on every void Qt call.

Small tests stay green under that bug while the app aborts after ~5,500 calls with
`Fatal Python error: none_dealloc`, so this test makes 10,000 such calls and checks the count.
"""

import sys

from PySide6.QtCore import QPointF


def test_void_qt_calls_keep_the_refcount_of_none_steady():
    point = QPointF()
    point.setX(0.0)
    before = sys.getrefcount(None)
    for i in range(10_000):
        point.setX(float(i))
    assert abs(sys.getrefcount(None) - before) < 100
