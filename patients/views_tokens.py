"""The account page's API tokens: make one (shown once), see them, revoke one. POST under CSRF."""

from datetime import timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from clinic.errors import NotAllowed
from patients import tokens
from patients.forms import RefusesControlCharacters


class TokenForm(RefusesControlCharacters, forms.Form):
    name = forms.CharField(
        label="What is this token for?",
        max_length=100,
        help_text="For example “my training app”. Only you see this name.",
        error_messages={
            "required": "Give the token a name, so you can tell it apart later.",
            "max_length": "Use at most %(limit_value)d characters.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    expires_in_days = forms.TypedChoiceField(
        label="Stops working",
        choices=[
            ("", "Never (until you revoke it)"),
            (30, "In 30 days"),
            (90, "In 90 days"),
            (365, "In a year"),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="A token also stops working when you change your password.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", "Make a token"))


# never_cache: the page that shows a new token must not be kept by the browser or a proxy.
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    new_token = None
    # Tokens made under an earlier password show as revoked (they already authenticate nobody).
    tokens.token_revoke_stale(user=request.user)
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data.get("expires_in_days")
        try:
            _record, new_token = tokens.token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except NotAllowed as refusal:
            messages.error(request, str(refusal))
        else:
            form = TokenForm()
    context = {"form": form, "new_token": new_token, "tokens": tokens.token_list(user=request.user)}
    return render(request, "patients/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, pk):
    token = tokens.token_for_owner(user=request.user, pk=pk)
    tokens.token_revoke(token=token, actor=request.user)
    messages.success(request, f"The token “{token.name}” is revoked. It no longer works.")
    return redirect("patients:tokens")
