"""The example notebook runs top to bottom and its results display themselves."""

from __future__ import annotations

import pytest

from .conftest import ROOT

NOTEBOOK = ROOT / "examples" / "quickstart.ipynb"


def test_quickstart_notebook_executes():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    pred_html = code[0].outputs[-1]["data"]["text/html"]
    assert 'class="space-label"' in pred_html and ">3</span>" in pred_html
    score_out = code[1].outputs[-1]["data"]
    html = score_out["text/html"]
    assert 'class="space-score-value"' in html and 'class="space-band"' in html
    assert html.count("data:audio/wav;base64,") == 1 and "data:image/png;base64," in html
    assert "image/png" in score_out  # _repr_png_ for front ends without HTML
    text = code[2].outputs[0]["text"]
    score, band = text.split()[0], text.split()[1].strip("();")
    assert f">{score}</span>" in html and f">{band}</span>" in html
    assert "heard 3" in text
