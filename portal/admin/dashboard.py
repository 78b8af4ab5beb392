"""The admin home page: the figures an operator checks first."""
from datetime import timedelta

from flask_admin import AdminIndexView, expose
from sqlalchemy import func, select

from portal.admin.security import RoleGuard
from portal.extensions import db
from portal.models import Account, Alarm, Cdr, Invoice
from portal.models.types import utcnow
from portal.traffic import daily_traffic


class DashboardView(RoleGuard, AdminIndexView):
    allowed_roles = ("admin", "accountant")

    @expose("/")
    def index(self):
        since = utcnow() - timedelta(days=1)
        figures = {
            "accounts": db.session.scalar(select(func.count()).select_from(Account)),
            "active_accounts": db.session.scalar(
                select(func.count()).select_from(Account).where(Account.status == "active")),
            "calls_24h": db.session.scalar(select(func.count()).select_from(Cdr).where(Cdr.start >= since)),
            "unrated": db.session.scalar(
                select(func.count()).select_from(Cdr).where(Cdr.status.notin_(("rated", "pending")))),
            "open_alarms": db.session.scalar(
                select(func.count()).select_from(Alarm).where(Alarm.status == "open")),
            "invoices": db.session.scalar(select(func.count()).select_from(Invoice)),
        }
        return self.render("admin/dashboard.html", figures=figures, traffic=daily_traffic())
