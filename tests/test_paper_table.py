"""The paper-table benchmark: its --check passes, and it catches a wrong cell."""

from skspider.benchmarks import check_paper_table, paper_table, run_benchmark


def test_check_passes_and_writes_json(tmp_path, capsys):
    out = tmp_path / "table.json"
    assert run_benchmark("paper-table", ["--check", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "mean tau_w: 0.777" in text and "0.800" in text
    # The three errata cells are marked and explained next to "check passed".
    assert text.count("*") >= 4 and "0.552*" in text
    assert "LogME Aircraft 0.552 (published 0.540)" in " ".join(text.split())
    assert "slightly different run" in text and "model_spider/README.md" in text
    assert out.exists()


def test_check_flags_a_wrong_cell():
    from skspider.datasets import load_model_spider

    data = load_model_spider()
    table, expected = paper_table(data)
    assert check_paper_table(table, expected) == []
    table.loc["NCE", "DTD"] += 0.001
    problems = check_paper_table(table, expected)
    assert len(problems) == 1 and "NCE / DTD" in problems[0]
    # The errata cells must equal the README's recomputed values, not the published ones.
    published = data.paper_tau_w.reindex(index=table.index, columns=table.columns)
    table.loc["NCE", "DTD"] -= 0.001
    assert abs(table.loc["LogME", "Aircraft"] - published.loc["LogME", "Aircraft"]) > 0.01
