"""The web app: `from tumbuh.web.app import create_app`."""
