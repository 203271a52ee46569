"""Forms of the customer pages: parse and validate input; spam rules live in spam.py, writes in services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from caseloop.cases.attachments import ALLOWED_FILES, check_attachment
from caseloop.core.errors import ApplicationError
from caseloop.customers.normalize import normalize_email, normalize_phone
from caseloop.portal import policy, spam

ACCEPT_ATTRIBUTE = ",".join(f".{ext}" for ext in sorted(ALLOWED_FILES))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class FeedbackForm(forms.Form):
    """The public feedback form (R1.1): contact and subject required unless the person stays anonymous."""

    name = forms.CharField(label=_("Your name"), max_length=120, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "type": "tel"}))
    email = forms.EmailField(label=_("E-mail"), required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    is_anonymous = forms.BooleanField(label=_("Submit anonymously"), required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    content = forms.CharField(label=_("What happened?"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    product_model = forms.CharField(label=_("Product model"), max_length=80, required=False)
    order_number = forms.CharField(label=_("Order number"), max_length=64, required=False)
    attachments = MultipleFileField(label=_("Photos, videos, recordings or documents"), required=False,
                                    widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))
    # The honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if phone and not 7 <= sum(ch.isdigit() for ch in normalize_phone(phone)) <= 15:
            raise forms.ValidationError(_("Enter a phone number with 7 to 15 digits."))
        return phone

    def clean_subject(self) -> str:
        return _checked_text(self.cleaned_data["subject"])

    def clean_content(self) -> str:
        return _checked_text(self.cleaned_data["content"])

    def clean_attachments(self) -> list[UploadedFile]:
        files: list[UploadedFile] = self.cleaned_data["attachments"]
        if len(files) > policy.value("PORTAL_ATTACHMENTS_PER_SUBMISSION"):
            raise forms.ValidationError(_("Attach at most %(n)d files.")
                                        % {"n": policy.value("PORTAL_ATTACHMENTS_PER_SUBMISSION")})
        total_limit = policy.value("PORTAL_UPLOAD_TOTAL_BYTES")
        if sum(f.size or 0 for f in files) > total_limit:
            raise forms.ValidationError(_("All files together may be at most %(limit).0f MB.")
                                        % {"limit": total_limit / 1024 / 1024})
        errors = []
        for upload in files:
            head = upload.read(512)
            upload.seek(0)
            try:
                check_attachment(name=upload.name or "", head=head, size=upload.size or 0,
                                 max_bytes=settings.CASELOOP["ATTACHMENT_MAX_BYTES"])
            except ApplicationError as exc:
                errors.append(exc.message)
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_anonymous"):
            # Anonymous means no contact details are kept at all; say so on the page (template).
            data.update(name="", phone="", email="")
            for name in ("name", "phone", "email"):
                self.errors.pop(name, None)
        elif not data.get("phone") and not data.get("email") and not self.has_error("phone") \
                and not self.has_error("email"):
            self.add_error("phone", _("Give a phone number or an e-mail address so that we can reply to you, "
                                      "or choose to submit anonymously."))
        return data

    def contact_keys(self) -> list[str]:
        """Each contact point of this submission, normalised (per-contact rate limit); none when anonymous."""
        data = self.cleaned_data
        keys = []
        if data.get("email"):
            keys.append("email:" + normalize_email(data["email"]))
        if data.get("phone"):
            keys.append("phone:" + normalize_phone(data["phone"]))
        return keys


def _checked_text(text: str) -> str:
    problem = spam.content_problem(text)
    if problem:
        raise forms.ValidationError(problem)
    return text.strip()


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=32,
                             widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                           "spellcheck": "false"}))
    code = forms.CharField(label=_("Tracking code"), max_length=32,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false"}))

    def clean_number(self) -> str:
        return "".join(self.cleaned_data["number"].split()).upper()

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).upper()


class CustomerMessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def clean_body(self) -> str:
        return _checked_text(self.cleaned_data["body"])
