"""/config: the ssg.toml reference, generated from ssg.config.SETTINGS."""

import reference

metadata = {"title": "ssg.toml", "description": "Every key of ssg.toml, its type and default."}


def load(params):
    return reference.config_settings()
