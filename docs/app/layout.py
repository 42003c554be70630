metadata = {"title": {"default": "ssg", "template": "%s · ssg"}}
