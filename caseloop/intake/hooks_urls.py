from django.urls import URLPattern, URLResolver, path

from caseloop.intake import hooks

app_name = "hooks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:channel>/<slug:key>/", hooks.receive, name="receive"),
]
