"""`ssg dev`: the authoring loop (render from sources, watch, live reload, error overlay)."""
