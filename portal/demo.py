"""A realistic demo operator: two carriers, retail and carrier decks, VoIP plans, a ban plan, staff
and three customers. Calls are never invented here; they go through the rating pipeline."""
import random
from datetime import date, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.audit import SYSTEM
from portal.auth.service import create_user
from portal.cdrs.ingest import ingest
from portal.cdrs.parsers import RawCdr
from portal.extensions import db
from portal.invoicing.period import Period
from portal.invoicing.products import assign_plan, assign_product, create_plan, create_product
from portal.invoicing.run import run_period
from portal.ledger.accounts import customer_ledger
from portal.ledger.operations import credit, payment
from portal.models import (
    Account,
    BanPlan,
    BanPrefix,
    CarrierPlan,
    CarrierRate,
    DialRule,
    Gateway,
    PeakHoliday,
    PeakSchedule,
    Provider,
    RetailPlan,
    RetailRate,
    Switch,
    User,
    VoipPlan,
    VoipPlanRetailPlan,
)
from portal.models.types import utcnow

ADMIN = ("admin", "admin@voip2bill.example", "admin-demo-2026")
ACCOUNTANT = ("accountant", "accountant@voip2bill.example", "books-demo-2026")
CUSTOMERS = (
    ("customer", "alice@acme.example", "alice-demo-2026"),
    ("customer", "bob@bistro.example", "bob-demo-2026"),
    ("customer", "carol@carolina.example", "carol-demo-2026"),
)

#: (prefix, destination, retail per minute off-peak, peak, carrier A cost, carrier B cost)
DESTINATIONS = (
    ("44", "United Kingdom", "0.0200", "0.0300", "0.0060", "0.0055"),
    ("447", "United Kingdom Mobile", "0.0600", "0.0800", "0.0210", "0.0240"),
    ("4420", "United Kingdom London", "0.0150", "0.0250", "0.0050", "0.0048"),
    ("49", "Germany", "0.0250", "0.0350", "0.0070", "0.0075"),
    ("4915", "Germany Mobile", "0.0700", "0.0900", "0.0300", "0.0280"),
    ("4916", "Germany Mobile", "0.0700", "0.0900", "0.0300", "0.0280"),
    ("4917", "Germany Mobile", "0.0700", "0.0900", "0.0300", "0.0280"),
    ("33", "France", "0.0250", "0.0350", "0.0080", "0.0070"),
    ("336", "France Mobile", "0.0650", "0.0850", "0.0250", "0.0260"),
    ("337", "France Mobile", "0.0650", "0.0850", "0.0250", "0.0260"),
    ("34", "Spain", "0.0250", "0.0350", "0.0075", "0.0080"),
    ("346", "Spain Mobile", "0.0600", "0.0800", "0.0220", "0.0210"),
    ("39", "Italy", "0.0250", "0.0350", "0.0080", "0.0085"),
    ("393", "Italy Mobile", "0.0650", "0.0850", "0.0240", "0.0230"),
    ("1", "United States", "0.0150", "0.0150", "0.0040", "0.0035"),
    ("1212", "United States New York", "0.0120", "0.0120", "0.0035", "0.0033"),
    ("91", "India", "0.0450", "0.0450", "0.0150", "0.0140"),
    ("86", "China", "0.0400", "0.0400", "0.0120", "0.0130"),
    ("61", "Australia", "0.0450", "0.0550", "0.0150", "0.0160"),
    ("614", "Australia Mobile", "0.0900", "0.1100", "0.0400", "0.0420"),
)
CALLS, DAYS = 10_000, 60
#: Premium and satellite ranges nobody on these plans may call.
BANNED = ("44900", "44909", "1900", "4919", "881", "882")


def _retail_deck(plan, rows, peak=True, factor=Decimal(1)):
    """UK destinations bill 30 s then 6 s increments, the rest per second."""
    for prefix, name, off_peak, peak_price, _, _ in rows:
        uk = prefix.startswith("44")
        db.session.add(RetailRate(
            plan=plan, prefix=prefix, destination=name,
            rate=(Decimal(off_peak) * factor).quantize(Decimal("0.0001")),
            rate_peak=(Decimal(peak_price) * factor).quantize(Decimal("0.0001")) if peak else None,
            t1=30 if uk else 1, t2=6 if uk else 1))


def _carrier_deck(plan, column):
    for row in DESTINATIONS:
        db.session.add(CarrierRate(plan=plan, prefix=row[0], destination=row[1], rate=Decimal(row[column]),
                                   t1=1, t2=1))


def _offers(alice, bob, carol, since):
    """Number rentals (products) and a mobile bundle (a plan), as the monthly invoices charge them."""
    rental_eur = create_product("Geographic number rental", "EUR", Decimal("1.50"),
                                description="A DID with inbound calls, per number and month")
    rental_usd = create_product("US DID rental", "USD", Decimal("1.25"))
    mobile = create_plan("Mobile 300", "EUR", Decimal("9.90"), included_minutes=300,
                         prefixes=["447", "4915", "4916", "4917", "336", "337"], initial_charge=Decimal("5.00"),
                         description="300 minutes a month to UK, German and French mobiles")
    assign_product(alice, rental_eur, since, quantity=2, note="+44 20 7123 4567, +44 20 7123 4568")
    assign_product(bob, rental_eur, since, note="+49 30 123456")
    assign_product(carol, rental_usd, since, quantity=5, note="+1 704 555 0100 … 0104")
    assign_plan(bob, mobile, since)


def close_demo_months(now=None):
    """Invoice the demo's months that ended before the last one, which is left for the accountant to
    close; returns the numbers issued. Each invoice commits on its own (see run_period)."""
    today = (now or utcnow()).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    first = today - timedelta(days=DAYS)
    month, last_closed = Period(first.year, first.month), Period(last_month.year, last_month.month)
    issued = []
    while month < last_closed:
        issued += run_period(month).created
        month = month.following()
    return issued


class DemoExists(RuntimeError):
    """The demo was loaded already; loading it twice would duplicate customers."""


#: Where the demo's customers call, and how often (weights).
CALLED = (("4420", 20), ("447", 25), ("4915", 10), ("49", 8), ("336", 6), ("33", 5), ("346", 4), ("39", 4),
          ("1212", 6), ("1", 6), ("91", 3), ("86", 2), ("614", 1))
HANGUPS = ((16, 70), (17, 10), (19, 12), (21, 3), (34, 3), (1, 2))


def demo_calls(accounts, count, days, now, seed=2026):
    """Realistic traffic for `accounts` over the last `days`: mostly working hours, a third unanswered."""
    randomizer = random.Random(seed)
    prefixes, weights = zip(*CALLED)
    causes, cause_weights = zip(*HANGUPS)
    providers = ("Atlas Voice", "Borealis Telecom")
    records = []
    for n in range(count):
        account = randomizer.choice(accounts)
        day = now - timedelta(days=randomizer.randrange(days))
        start = day.replace(hour=randomizer.choice((8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 20, 22)),
                            minute=randomizer.randrange(60), second=randomizer.randrange(60), microsecond=0)
        if start >= now:
            start -= timedelta(days=1)
        prefix = randomizer.choices(prefixes, weights)[0]
        callee = prefix + "".join(randomizer.choice("0123456789") for _ in range(11 - len(prefix)))
        cause = randomizer.choices(causes, cause_weights)[0]
        billsec = int(randomizer.expovariate(1 / 150)) + 1 if cause == 16 else 0
        answer = start + timedelta(seconds=randomizer.randint(3, 15)) if billsec else None
        end = (answer or start) + timedelta(seconds=billsec or randomizer.randint(5, 40))
        records.append(RawCdr(uuid=f"demo-{seed}-{n:06d}", account=account.code, caller=account.phone.lstrip("+"),
                              callee=callee, start=start, answer=answer, end=end, billsec=billsec,
                              duration=int((end - start).total_seconds()), hangup_cause=cause,
                              src_ip="192.0.2.10", provider=randomizer.choice(providers) if billsec else "",
                              switch="edge-asterisk-1"))
    return records


def load_demo(calls=CALLS):
    """Create the demo objects; returns (role, e-mail, password) for each login."""
    if db.session.scalar(select(User).where(User.email == ADMIN[1])):
        raise DemoExists("The demo data is already loaded; nothing was changed.")

    carrier_a = Provider(name="Atlas Voice", priority=1, description="Tier-1 wholesale carrier")
    carrier_a.gateways = [Gateway(name="atlas-lon", host="sip.atlas-voice.example", port=5060, prefix="0101#"),
                          Gateway(name="atlas-fra", host="sip-fra.atlas-voice.example", port=5060,
                                  prefix="0101#")]
    carrier_b = Provider(name="Borealis Telecom", priority=2, description="Mobile specialist")
    carrier_b.gateways = [Gateway(name="borealis-ams", host="198.51.100.20", port=5080, prefix="77")]
    db.session.add_all([carrier_a, carrier_b])

    peak = PeakSchedule(name="UK business hours", timezone="Europe/London", weekdays="0,1,2,3,4",
                        start_time=time(8), end_time=time(19), holiday_country="GB",
                        extra_holidays=[PeakHoliday(day=date(2026, 12, 24),
                                                    name="Christmas Eve")])
    retail_eur = RetailPlan(name="Standard EUR", currency="EUR", decimals=4, peak_schedule=peak,
                            description="Retail deck with peak hours on UK working days")
    retail_uk_callers = RetailPlan(name="UK callers EUR", currency="EUR", decimals=4,
                                   description="Cheaper UK rates for callers with a UK CLI")
    retail_usd = RetailPlan(name="Standard USD", currency="USD", decimals=4)
    db.session.add_all([retail_eur, retail_uk_callers, retail_usd])
    _retail_deck(retail_eur, DESTINATIONS)
    _retail_deck(retail_uk_callers, [row for row in DESTINATIONS if row[0].startswith("44")], peak=False,
                 factor=Decimal("0.8"))
    _retail_deck(retail_usd, DESTINATIONS, peak=False, factor=Decimal("1.10"))

    carrier_eur_a = CarrierPlan(name="Atlas EUR", currency="EUR", provider=carrier_a)
    carrier_eur_b = CarrierPlan(name="Borealis EUR", currency="EUR", provider=carrier_b)
    db.session.add_all([carrier_eur_a, carrier_eur_b])
    _carrier_deck(carrier_eur_a, 4)
    _carrier_deck(carrier_eur_b, 5)

    bans = BanPlan(name="Premium and satellite", prefixes=[BanPrefix(prefix=p) for p in BANNED])
    plan_eur = VoipPlan(name="Business EUR", currency="EUR", no_loss=True,
                        carrier_plans=[carrier_eur_a, carrier_eur_b], ban_plans=[bans],
                        retail_links=[VoipPlanRetailPlan(retail_plan=retail_uk_callers, caller_prefix="44",
                                                         priority=0),
                                      VoipPlanRetailPlan(retail_plan=retail_eur, priority=1)])
    plan_usd = VoipPlan(name="Business USD", currency="USD", carrier_plans=[carrier_eur_a, carrier_eur_b],
                        ban_plans=[bans], retail_links=[VoipPlanRetailPlan(retail_plan=retail_usd)])
    db.session.add_all([bans, plan_eur, plan_usd])
    # Global dial rules: international formats to plain E.164 digits.
    db.session.add_all([DialRule(position=0, match="+", replace=""), DialRule(position=1, match="00", replace="")])
    db.session.add(Switch(name="edge-asterisk-1", ip_address="192.0.2.10", description="Asterisk 20 edge"))

    alice = Account(code="1001", name="Acme Widgets Ltd", email=CUSTOMERS[0][1], currency="EUR",
                    billing="prepaid", voip_plan=plan_eur, country="GB", timezone="Europe/London",
                    language="en_GB", tax_rate=Decimal(20), company_name="Acme Widgets Ltd",
                    address="12 Long Lane", city="London", zip_code="SE1 4PG", phone="+442071234567")
    bob = Account(code="1002", name="Bistro Bob GmbH", email=CUSTOMERS[1][1], currency="EUR",
                  billing="postpaid", voip_plan=plan_eur, country="DE",
                  timezone="Europe/Berlin", language="de_DE", tax_rate=Decimal(19),
                  company_name="Bistro Bob GmbH", address="Hauptstraße 5", city="Berlin", zip_code="10115",
                  phone="+4930123456")
    carol = Account(code="2001", name="Carolina Call Center LLC", email=CUSTOMERS[2][1], currency="USD",
                    billing="prepaid", voip_plan=plan_usd, country="US", timezone="America/New_York",
                    language="en_US", tax_rate=Decimal(0), company_name="Carolina Call Center LLC",
                    address="200 Main St", city="Charlotte", state="NC", zip_code="28202",
                    phone="+17045550100")
    db.session.add_all([alice, bob, carol])
    db.session.flush()

    for account in (alice, bob, carol):
        customer_ledger(account)
    credit(bob, Decimal(500), SYSTEM, description="Credit limit agreed at sign-up")
    payment(alice, Decimal(1000), SYSTEM, description="Opening top-up")
    payment(carol, Decimal(1000), SYSTEM, description="Opening top-up")

    _offers(alice, bob, carol, utcnow().date() - timedelta(days=DAYS))
    db.session.flush()
    records = demo_calls([alice, bob, carol], calls, DAYS, utcnow())
    for start in range(0, len(records), 2000):
        ingest(records[start:start + 2000])

    create_user(ADMIN[1], ADMIN[2], "admin", name="Demo Admin")
    create_user(ACCOUNTANT[1], ACCOUNTANT[2], "accountant", name="Demo Accountant")
    for (_, email, password), account in zip(CUSTOMERS, (alice, bob, carol)):
        create_user(email, password, "customer", name=account.name, account=account)
    return [ADMIN, ACCOUNTANT, *CUSTOMERS]
