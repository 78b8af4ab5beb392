"""`flask bench invoices` at a toy size: it runs end to end on a scratch SQLite database and prints
every figure (the month close, the one-page render and the annex render, each with its seconds and
peak memory) and a clean ledger."""
import re


def test_bench_invoices_prints_every_figure_on_sqlite(runner):
    result = runner.invoke(args=["bench", "invoices", "--database", "sqlite", "--accounts", "6", "--calls", "40",
                                 "--annex-calls", "5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(r"^sqlite: setup: 6 accounts, 40 calls rated and charged in [\d.]+ s$", out, re.MULTILINE)
    close = re.search(r"^sqlite: month close \d{4}-\d{2}: (\d+) invoices with PDFs \((\d+) calls\) in [\d.]+ s = "
                      r"[\d.]+ invoices/s; peak memory \d+ MB; failed: 0$", out, re.MULTILINE)
    assert close and int(close[1]) >= 6 and int(close[2]) == 40
    assert re.search(r"^sqlite: render INV-\d{4}-\d{6} \(\d+ lines?, 1 page\): [\d.]+ s; peak memory \d+ MB$", out,
                     re.MULTILINE)
    assert re.search(r"^sqlite: render INV-\d{4}-\d{6} with a 5-call annex \(2 pages\): [\d.]+ s; peak memory \d+ MB$",
                     out, re.MULTILINE)
    assert re.search(r"^sqlite: ledger verify: clean$", out, re.MULTILINE)
    assert "postgresql" not in out
