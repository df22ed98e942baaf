"""Notices that leave the service: templates, channels and the process that delivers them."""
