"""`flask bench ledger` at a toy size: it runs end to end on a scratch SQLite database and prints
its figures (single operations, a batch of call charges) and a clean ledger."""
import re

FIGURE = r"[\d,]+"


def test_bench_ledger_prints_its_figures_on_sqlite(runner):
    result = runner.invoke(args=["bench", "ledger", "--database", "sqlite", "--operations", "5", "--charges", "20"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(rf"^sqlite: single operations: 5 payments in [\d.]+ s = {FIGURE} ops/s, {FIGURE} postings/s$",
                     out, re.MULTILINE), out
    assert re.search(rf"^sqlite: batch of call charges: 20 in [\d.]+ s = {FIGURE} charges/s, {FIGURE} postings/s$",
                     out, re.MULTILINE), out
    assert re.search(r"^sqlite: ledger verify: clean$", out, re.MULTILINE), out
    assert "postgresql" not in out
