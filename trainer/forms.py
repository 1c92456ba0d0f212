"""Base form: WTForms' built-in messages in Chinese (the UI language), without needing Flask-Babel."""
from flask_wtf import FlaskForm


class Form(FlaskForm):
    class Meta:
        locales = ("zh",)
