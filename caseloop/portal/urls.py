from django.urls import URLPattern, URLResolver, path

from caseloop.portal import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("feedback/", views.feedback_view, name="feedback"),
    path("feedback/kiosk/", views.feedback_view, {"kiosk": True}, name="feedback_kiosk"),
    path("feedback/done/", views.feedback_done_view, name="feedback_done"),
    path("track/", views.track_view, name="track"),
    path("track/message/", views.track_message_view, name="track_message"),
    path("track/close/", views.track_forget_view, name="track_forget"),
]
