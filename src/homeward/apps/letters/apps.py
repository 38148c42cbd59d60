from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "homeward.apps.letters"
    label = "letters"
    verbose_name = "家书 Letters home"
