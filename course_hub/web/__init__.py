"""The course hub's website: server-rendered pages on the same port, over the same data, under the same policy as
the API (`routes.ROUTES` goes after the API's routes in `course_hub/app.py`)."""
