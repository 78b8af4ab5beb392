"""Invoicing: the monthly close of each account, gapless numbers, tax, credit notes, recurring
charges (products and plans) and the PDFs (invoices, credit notes, receipts) accountants keep."""
