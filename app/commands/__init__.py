"""Command groups of the `loyalty` CLI; each module has `register(app)`."""
