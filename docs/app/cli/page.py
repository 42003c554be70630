"""/cli: the command line reference, generated from the click commands' own help."""

import reference

metadata = {"title": "CLI", "description": "ssg build, ssg serve and the other commands."}


def load(params):
    return {"commands": reference.cli_commands()}
