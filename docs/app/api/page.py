"""/api: every public name of `ssg` and `ssg.content`, generated from the installed package."""

import reference

metadata = {
    "title": "Python API",
    "description": "Every public name of ssg and ssg.content, with its signature and docstring.",
}


def load(params):
    return {"sections": reference.api_sections()}
