"""What an invoice or credit note PDF shows, gathered at issue time and rendered once.

Money, dates and times are formatted here, with babel, for the document's currency and the
account's language and time zone; templates only place them on the page.
"""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from portal.formatting import money
from portal.invoicing.pdf import document_html, html_to_pdf
from portal.invoicing.period import Period, timezone
from portal.invoicing.statement import USAGE_UNIT, Statement, amount_due, usage


def locale_of(language):
    """The account's language as a babel locale name; an unknown one prints in English."""
    try:
        return str(Locale.parse((language or "en").replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        return "en"


class Formatter:
    """Formats values for one document: its currency, the account's language and time zone."""

    def __init__(self, currency, language, zone):
        self.currency = currency
        self.locale = locale_of(language)
        self.zone = timezone(zone)

    def money(self, amount, digits=None):
        return money(amount, self.currency, self.locale, digits)

    def quantity(self, value, unit):
        """Minutes with two places; counts as they are."""
        return format_decimal(value, "#,##0.00" if unit == USAGE_UNIT else "#,##0.##", locale=self.locale)

    def date(self, value: date, style="long"):
        return format_date(value, style, locale=self.locale) if value else ""

    def local_date(self, moment: datetime, style="long"):
        return self.date(moment.astimezone(self.zone).date(), style)

    def local_time(self, moment: datetime):
        """Sortable, fixed width: the annex's column."""
        return format_datetime(moment.astimezone(self.zone), "yyyy-MM-dd HH:mm:ss", tzinfo=self.zone,
                               locale=self.locale)

    def local_moment(self, moment: datetime):
        """A date and time as the account's language writes them: `2 Dec 2026, 11:57`."""
        return format_datetime(moment, "medium", tzinfo=self.zone, locale=self.locale)

    def percent(self, rate: Decimal):
        return format_percent(rate / 100, "#,##0.##%", locale=self.locale)


@dataclass
class AnnexCall:
    number: str
    start: datetime
    seconds: int
    price: Decimal
    #: Covered in full or in part by a plan's included minutes.
    included: bool = False

    @property
    def duration(self):
        return f"{self.seconds // 60}:{self.seconds % 60:02d}"


@dataclass
class Party:
    """The customer as printed in the bill-to block."""

    code: str
    name: str
    lines: list[str]
    email: str

    @classmethod
    def of(cls, account):
        company = account.company_name or account.name
        place = " ".join(part for part in (account.zip_code, account.city) if part)
        lines = [line for line in (account.name if company != account.name else "", account.address, place,
                                   account.state, _country(account)) if line]
        return cls(account.code, company, lines, account.email)


def _country(account):
    if not account.country:
        return ""
    try:
        return Locale.parse(locale_of(account.language)).territories.get(account.country, account.country)
    except (UnknownLocaleError, ValueError):
        return account.country


@dataclass
class Document:
    """An invoice or a credit note, as printed."""

    kind: str
    number: str
    issued_at: datetime
    formatter: Formatter
    customer: Party
    billing: str
    period_first: date
    period_last: date
    lines: list
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal
    due_date: date | None = None
    statement: Statement | None = None
    corrects: str | None = None
    reason: str = ""
    annex: list[AnnexCall] | None = None

    #: The annex is monospaced text, one line per call: thousands of table cells would take WeasyPrint
    #: seconds, these lines a fraction of that.
    annex_header = f"{'Number':<22}{'Date and time':<26}{'Duration':>10}{'Price':>22}"

    @classmethod
    def of(cls, invoice, account, annex=None, corrects=None):
        """The printable form of an invoice or credit note row (stored or about to be)."""
        period = Period.parse(invoice.period)
        statement = None
        if invoice.kind == "invoice":
            statement = Statement(invoice.opening_balance, invoice.payments, invoice.charges,
                                  invoice.closing_balance)
        return cls(invoice.kind, invoice.number, invoice.issued_at,
                   Formatter(invoice.currency, account.language, account.timezone), Party.of(account),
                   account.billing, period.first_day, period.last_day, list(invoice.lines), invoice.subtotal,
                   invoice.tax_rate, invoice.tax, invoice.total, invoice.due_date, statement, corrects,
                   invoice.note, annex)

    @property
    def title(self):
        return "Invoice" if self.kind == "invoice" else "Credit note"

    @property
    def zone_name(self):
        return str(self.formatter.zone)

    @property
    def amount_due(self):
        """What the closing balance leaves to pay (never negative): a prepaid balance usually covers
        everything, so its invoices show 0."""
        if self.statement is None:
            return None
        return amount_due(self.statement.closing, self.formatter.currency)

    @property
    def prepaid(self):
        """A prepaid account's invoice says what its balance paid; a credit note pays nothing."""
        return self.kind == "invoice" and self.billing == "prepaid"

    @property
    def usage_paid(self):
        """Prepaid: the usage paid from the balance (its calls, after included minutes)."""
        return usage(self.lines)

    @property
    def fees_and_tax_paid(self):
        """Prepaid: the rest of the total, taken from the balance at the close."""
        return self.total - self.usage_paid

    def annex_rows(self):
        fmt = self.formatter
        for call in self.annex:
            price = fmt.money(call.price, digits=4) + ("*" if call.included else " ")
            yield f"{'+' + call.number:<22}{fmt.local_time(call.start):<26}{call.duration:>10}{price:>22}"

    def html(self):
        """The document as HTML, ready for `html_to_pdf` (which needs no application)."""
        return document_html("invoices/invoice.html", doc=self, fmt=self.formatter)

    def render(self):
        return html_to_pdf(self.html())
