from django.contrib.auth import views as auth_views
from django.urls import path

from caseloop.console import views

app_name = "console"
urlpatterns = [
    path("", views.index_view, name="index"),
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", views.case_list_view, name="case_list"),
    path("cases/new/", views.case_entry_view, name="case_entry"),
    path("cases/export.csv", views.case_export_view, name="case_export"),
    path("cases/<str:number>/", views.case_detail_view, name="case_detail"),
    path("cases/<str:number>/sheet/", views.case_sheet_view, name="case_sheet"),
    path("cases/<str:number>/transition/", views.case_transition_view, name="case_transition"),
    path("cases/<str:number>/notes/", views.case_note_view, name="case_note"),
    path("cases/<str:number>/triage/", views.case_triage_confirm_view, name="case_triage_confirm"),
    path("cases/<str:number>/escalation/", views.case_escalate_view, name="case_escalate"),
    path("cases/<str:number>/assignment/", views.case_assign_view, name="case_assign"),
    path("cases/<str:number>/attachments/<int:attachment_id>/", views.attachment_download_view,
         name="attachment_download"),
]
