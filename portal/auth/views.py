from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import LoginForm, PasswordChangeForm
from portal.auth.passwords import WeakPassword
from portal.auth.service import (
    PasswordMismatch,
    authenticate,
    change_password,
    end_session,
    end_sessions,
    start_session,
)
from portal.auth.session import home_for
from portal.auth.throttle import account_at_address, failed_sign_in
from portal.extensions import db, limiter
from portal.urls import safe_next


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=failed_sign_in)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=account_at_address, deduct_when=failed_sign_in)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            start_session(user)
            db.session.commit()
            # A fresh session at sign-in: nothing planted before it survives (session fixation).
            session.clear()
            session.permanent = True
            login_user(user)
            return redirect(safe_next(form.next.data) or home_for(user))
        flash("Wrong e-mail or password.", "danger")
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 401


@bp.route("/logout", methods=["POST"])
def logout():
    """Ends this session on the server, or with `everywhere` every session of the user, so that a
    copy of the cookie signs no one in afterwards."""
    if current_user.is_authenticated:
        if request.form.get("everywhere"):
            end_sessions(current_user)
        else:
            end_session(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have been signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.new_password.data)
        except (PasswordMismatch, WeakPassword) as error:
            flash(str(error), "danger")
        else:
            db.session.commit()
            # The cookie names the fresh session change_password opened for this browser.
            login_user(current_user._get_current_object())
            flash("Your password has been changed.", "success")
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form)
