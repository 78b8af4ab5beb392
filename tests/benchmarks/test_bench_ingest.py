"""`flask bench ingest` at a tiny size: the file goes through `flask cdrs import` and the figure is printed."""
import re


def test_bench_ingest_imports_through_the_command_and_prints_cdrs_per_second(runner):
    result = runner.invoke(args=["bench", "ingest", "--database", "sqlite", "--cdrs", "60", "--batch-size", "25"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # stderr carries the migrations' log
    assert lines[0].startswith("wrote 60 CDRs")
    # The command's own progress bar label and summary, then the benchmark's figure.
    assert "Importing cdrs.csv" in lines
    summary = re.fullmatch(r"accepted (\d+), of which rated (\d+); duplicates 0; rejected 0", lines[-2])
    assert summary and summary.group(1) == "60"
    figure = re.fullmatch(r"sqlite: 60 CDRs stored \(([\d,]+) rated\) by flask cdrs import in [\d.]+ s = "
                          r"[\d,]+ CDRs/s; [\d,]+ postings; ledger verify: clean", lines[-1])
    assert figure and figure.group(1) == summary.group(2)
