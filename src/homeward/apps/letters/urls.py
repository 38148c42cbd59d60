"""Letters home (namespace ``letters``): campaigns, the worker's reply, the employer's intentions."""

from django.urls import path

from homeward.apps.letters import views

app_name = "letters"

urlpatterns = [
    path("letters/", views.campaign_list, name="list"),
    path("letters/<int:campaign_id>/", views.campaign_detail, name="detail"),
    path("letters/<int:campaign_id>/status/", views.campaign_status, name="status"),
    path("letters/<int:campaign_id>/send/", views.campaign_send_view, name="send"),
    path("letters/<int:campaign_id>/resume/", views.campaign_resume_view, name="resume"),
    path("letters/intentions/", views.intention_page, name="intentions"),
    path("letters/intentions/apply/", views.intention_apply, name="apply"),
    path("w/reply/", views.worker_reply, name="reply"),
]
