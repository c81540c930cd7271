"""The message channels of the ``notify_service`` connector, one module each."""
