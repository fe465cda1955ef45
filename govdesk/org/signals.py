"""What the account layer announces, so that layers above it (API tokens, two-factor devices) can react without the
account services importing them.

Sent inside the transaction that made the change, so a receiver's writes commit or roll back with it.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: user, reason ("password_changed", "deactivated", "locked_out", "roles_changed", ...), acting_user.
# Receivers revoke whatever the old credentials granted (API tokens, for one).
account_credentials_changed = Signal()
