"""The contract both sides import: QR token, roster snapshot, scan records.

Nothing here imports ``kiosk`` or ``admin``.
"""
