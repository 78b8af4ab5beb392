"""Reference data: loaded by `flask setup`, browsed and corrected here."""
from portal.admin.security import SecureModelView


class CountryView(SecureModelView):
    column_list = ("iso2", "name", "calling_code")
    column_searchable_list = ("iso2", "name", "calling_code")
    column_default_sort = "name"
    form_columns = ("iso2", "name", "calling_code")


class PrefixView(SecureModelView):
    column_list = ("prefix", "name", "country")
    column_searchable_list = ("prefix", "name")
    column_default_sort = "prefix"
    form_columns = ("prefix", "name", "country")


class CurrencyView(SecureModelView):
    column_list = ("code", "name", "digits")
    column_searchable_list = ("code", "name")
    column_default_sort = "code"
    form_columns = ("code", "name", "digits")


class HangupCauseView(SecureModelView):
    column_list = ("code", "enumeration", "cause", "description")
    column_searchable_list = ("enumeration", "cause")
    column_default_sort = "code"
    form_columns = ("code", "enumeration", "cause", "description")
