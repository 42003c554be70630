metadata = {
    "title": {"default": "The ssg Blog", "template": "%s · The ssg Blog"},
    "description": "Notes on building Python sites with routes, layouts and regeneration.",
}
