"""helpdesk-bot: email-driven helpdesk automation for LPSE Provinsi Jawa Barat."""

__version__ = "0.1.0"
